import { startedForFile } from '@palaver/testing';
import { describe, expect, it } from 'vitest';
import { collect, eventually, request, send, startGatewayStack } from './gateway-harness.ts';

// Reactions, mute and blocking reach the right sockets on every replica, under both fan-out designs.
describe.each([{ fanout: 'replica-queue' }, { fanout: 'shared-queue' }])('with $fanout', ({ fanout }) => {
  const stack = startedForFile(() =>
    startGatewayStack(`chat-features-${fanout}`, {
      replicas: 2,
      gatewayEnv: { FANOUT: fanout },
    }),
  );

  const replica = (i: number) => stack.gateways[i] as (typeof stack.gateways)[0];
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /** Ada, Bob and Carol in a group, Bob on the other replica than Ada and Carol. */
  async function groupOverReplicas() {
    const [ada, bob, carol] = await stack.users(3);
    const group = await stack.group(ada, [bob, carol]);
    const adaSocket = await stack.connect(replica(0), ada);
    const sockets = [adaSocket, await stack.connect(replica(1), bob), await stack.connect(replica(0), carol)];
    return { ada, bob, group, adaSocket, sockets };
  }

  it('tells every member on every replica of a reaction, once', async () => {
    const { bob, group, adaSocket, sockets } = await groupOverReplicas();
    const inboxes = sockets.map((socket) => collect(socket, 'message:reaction'));
    const message = await send(adaSocket, group.id, 'react to me');

    await stack.call(
      bob,
      'PUT',
      `/conversations/${group.id}/messages/${message.seq}/reactions/${encodeURIComponent('🎉')}`,
    );
    for (const inbox of inboxes) await eventually(() => inbox.length === 1);
    await pause(200); // room for a duplicate to show up
    for (const inbox of inboxes) {
      expect(inbox).toEqual([
        {
          conversationId: group.id,
          messageId: message.id,
          seq: message.seq,
          emoji: '🎉',
          userId: bob.id,
          reacted: true,
          changeSeq: expect.any(Number), // 1, or 2 when a relay pass raced the publish
        },
      ]);
    }
  });

  it("delivers a reply in a thread, with its quote, and the root's new summary to every member on every replica", async () => {
    const { ada, group, adaSocket, sockets } = await groupOverReplicas();
    const summaries = sockets.map((socket) => collect(socket, 'message:thread'));
    const received = sockets.map((socket) => collect(socket, 'message:received'));
    const root = await send(adaSocket, group.id, 'Who is in on Friday?');
    const reply = await send(adaSocket, group.id, 'Me, of course', {
      threadRootSeq: root.seq,
      replyToSeq: root.seq,
    });
    expect(reply).toMatchObject({
      threadRootSeq: root.seq,
      replyTo: { seq: root.seq, excerpt: 'Who is in on Friday?', deleted: false },
    });
    for (const inbox of summaries) await eventually(() => inbox.length === 1);
    await pause(200); // room for a duplicate to show up
    for (const [i, inbox] of summaries.entries()) {
      expect(inbox).toEqual([
        {
          conversationId: group.id,
          rootId: root.id,
          rootSeq: root.seq,
          thread: { replyCount: 1, lastReplyAt: reply.createdAt, participantIds: [ada.id] },
          changeSeq: expect.any(Number),
        },
      ]);
      const delivered = received[i]?.find((event) => event.message.id === reply.id);
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
    const bobPhoneSees = collect(bobPhone, 'user:status');
    await pause(300);
    expect(adaSees.slice(heardBefore).filter((s) => s.userId === bob.id)).toEqual([]);
    // Nor is his new socket told hers (his contacts, cached before the block, were renewed).
    expect(bobPhoneSees).toEqual([]);

    await stack.call(ada, 'DELETE', `/blocks/${bob.id}`);
    await eventually(() => lastStatus(adaSees, bob.id) === 'online');
    expect(bobPhone.connected).toBe(true);
    // Unblocked, typing reaches the other again.
    await request(bobPhone, 'typing', { conversationId: chat.id, isTyping: true });
    await eventually(() => adaTyping.some((t) => t.userId === bob.id && t.isTyping));
  });
});
