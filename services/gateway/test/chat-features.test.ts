import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientMessageId,
  collect,
  eventually,
  type GatewayStack,
  request,
  startGatewayStack,
} from './gateway-harness.ts';

// Reactions, mute and blocking reach the right sockets on every replica, under both fan-out designs.
describe.each([{ fanout: 'replica-queue' }, { fanout: 'shared-queue' }])('with $fanout', ({ fanout }) => {
  let stack: GatewayStack;
  beforeAll(async () => {
    stack = await startGatewayStack(`chat-features-${fanout}`, {
      replicas: 2,
      gatewayEnv: { FANOUT: fanout },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const replica = (i: number) => stack.gateways[i] as (typeof stack.gateways)[0];
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('tells every member on every replica of a reaction, once', async () => {
    const [ada, bob, carol] = await stack.users(3);
    const group = await stack.group(ada, [bob, carol]);
    const adaSocket = await stack.connect(replica(0), ada);
    const sockets = [adaSocket, await stack.connect(replica(1), bob), await stack.connect(replica(0), carol)];
    const inboxes = sockets.map((socket) => collect(socket, 'message:reaction'));
    const ack = await request(adaSocket, 'message:send', {
      conversationId: group.id,
      clientMessageId: clientMessageId(),
      body: 'react to me',
    });
    if (!ack.ok) throw new Error(ack.error.message);

    await stack.call(
      bob,
      'PUT',
      `/conversations/${group.id}/messages/${ack.message.seq}/reactions/${encodeURIComponent('🎉')}`,
    );
    for (const inbox of inboxes) await eventually(() => inbox.length === 1);
    await pause(200); // room for a duplicate to show up
    for (const inbox of inboxes) {
      expect(inbox).toEqual([
        {
          conversationId: group.id,
          messageId: ack.message.id,
          seq: ack.message.seq,
          emoji: '🎉',
          userId: bob.id,
          reacted: true,
          changeSeq: expect.any(Number), // 1, or 2 when a relay pass raced the publish
        },
      ]);
    }
  });

  it("delivers a reply in a thread, with its quote, and the root's new summary to every member on every replica", async () => {
    const [ada, bob, carol] = await stack.users(3);
    const group = await stack.group(ada, [bob, carol]);
    const adaSocket = await stack.connect(replica(0), ada);
    const sockets = [adaSocket, await stack.connect(replica(1), bob), await stack.connect(replica(0), carol)];
    const summaries = sockets.map((socket) => collect(socket, 'message:thread'));
    const received = sockets.map((socket) => collect(socket, 'message:received'));
    const root = await request(adaSocket, 'message:send', {
      conversationId: group.id,
      clientMessageId: clientMessageId(),
      body: 'Who is in on Friday?',
    });
    if (!root.ok) throw new Error(root.error.message);
    const reply = await request(adaSocket, 'message:send', {
      conversationId: group.id,
      clientMessageId: clientMessageId(),
      body: 'Me, of course',
      threadRootSeq: root.message.seq,
      replyToSeq: root.message.seq,
    });
    if (!reply.ok) throw new Error(reply.error.message);
    expect(reply.message).toMatchObject({
      threadRootSeq: root.message.seq,
      replyTo: { seq: root.message.seq, excerpt: 'Who is in on Friday?', deleted: false },
    });
    for (const inbox of summaries) await eventually(() => inbox.length === 1);
    await pause(200); // room for a duplicate to show up
    for (const [i, inbox] of summaries.entries()) {
      expect(inbox).toEqual([
        {
          conversationId: group.id,
          rootId: root.message.id,
          rootSeq: root.message.seq,
          thread: { replyCount: 1, lastReplyAt: reply.message.createdAt, participantIds: [ada.id] },
          changeSeq: expect.any(Number),
        },
      ]);
      const delivered = received[i]?.find((event) => event.message.id === reply.message.id);
      expect(delivered?.message.replyTo?.excerpt).toBe('Who is in on Friday?');
    }
  });

  it("tells a member's other devices that they muted a conversation, and nobody else", async () => {
    const [ada, bob] = await stack.users(2);
    const chat = await stack.direct(ada, bob);
    const onPhone = collect(await stack.connect(replica(0), ada), 'conversation:muted');
    const onLaptop = collect(await stack.connect(replica(1), ada), 'conversation:muted');
    const onBob = collect(await stack.connect(replica(1), bob), 'conversation:muted');
    await stack.call(ada, 'PUT', `/conversations/${chat.id}/mute`);
    await eventually(() => onPhone.length === 1 && onLaptop.length === 1);
    expect(onLaptop[0]).toEqual({ conversationId: chat.id, muted: true });
    await pause(200);
    expect(onBob).toEqual([]);
  });

  it("tells a user's contacts and other devices of a profile change, on every replica, and nobody else", async () => {
    const [ada, bob, stranger] = await Promise.all([stack.user(), stack.user(), stack.user()]);
    await stack.direct(ada, bob);
    const [adaPhone, bobSocket, strangerSocket] = await Promise.all([
      stack.connect(replica(0), ada),
      stack.connect(replica(1), bob),
      stack.connect(replica(1), stranger),
    ]);
    const heard = [adaPhone, bobSocket, strangerSocket].map((socket) => collect(socket, 'user:updated'));
    // Bob's socket watches Ada once he is told her status.
    const bobSees = collect(bobSocket, 'user:status');
    await eventually(() => bobSees.some((status) => status.userId === ada.id));
    const user = {
      id: ada.id,
      username: 'ada',
      displayName: 'Ada Lovelace',
      avatar: { uploadId: ada.id },
      createdAt: new Date().toISOString(),
    };
    await stack.broker.publish('user.updated', { user });
    await eventually(() => heard[0]?.length === 1 && heard[1]?.length === 1);
    await pause(200); // room for a duplicate, or a delivery to the stranger
    expect(heard).toEqual([[{ user }], [{ user }], []]);
  });

  it('stops presence both ways across replicas when one blocks the other, and resumes it on unblock', async () => {
    const [ada, bob] = await stack.users(2);
    const chat = await stack.direct(ada, bob);
    const adaSocket = await stack.connect(replica(0), ada);
    const adaLaptop = await stack.connect(replica(1), ada);
    const bobSocket = await stack.connect(replica(1), bob);
    const adaSees = collect(adaSocket, 'user:status');
    const bobSees = collect(bobSocket, 'user:status');
    const laptopTold = collect(adaLaptop, 'user:blocked');
    const lastStatus = (sees: { userId: string; status: string }[], userId: string) =>
      sees.filter((s) => s.userId === userId).at(-1)?.status;
    await eventually(
      () => lastStatus(adaSees, bob.id) === 'online' && lastStatus(bobSees, ada.id) === 'online',
    );

    await stack.call(ada, 'PUT', `/blocks/${bob.id}`);
    await eventually(
      () => lastStatus(adaSees, bob.id) === 'offline' && lastStatus(bobSees, ada.id) === 'offline',
    );
    await eventually(() => laptopTold.length === 1);
    expect(laptopTold[0]).toEqual({ userId: bob.id, blocked: true });

    // Nor of his typing in their chat, nor he of hers.
    const adaTyping = collect(adaSocket, 'typing');
    const bobTyping = collect(bobSocket, 'typing');
    await request(bobSocket, 'typing', { conversationId: chat.id, isTyping: true });
    await request(adaSocket, 'typing', { conversationId: chat.id, isTyping: true });
    await pause(300);
    expect([adaTyping, bobTyping]).toEqual([[], []]);

    // Bob goes and comes back: ada hears nothing of it.
    const heardBefore = adaSees.length;
    bobSocket.disconnect();
    await pause(300);
    const bobPhone = await stack.connect(replica(0), bob);
    await pause(300);
    expect(adaSees.slice(heardBefore).filter((s) => s.userId === bob.id)).toEqual([]);

    await stack.call(ada, 'DELETE', `/blocks/${bob.id}`);
    await eventually(() => lastStatus(adaSees, bob.id) === 'online');
    expect(bobPhone.connected).toBe(true);
    // Unblocked, typing reaches the other again.
    await request(bobPhone, 'typing', { conversationId: chat.id, isTyping: true });
    await eventually(() => adaTyping.some((t) => t.userId === bob.id && t.isTyping));
  });
});
