import type { Message } from '@palaver/contracts';
import { startedForFile } from '@palaver/testing';
import { describe, expect, it } from 'vitest';
import {
  type ClientSocket,
  clientMessageId,
  collect,
  dropConnection,
  eventually,
  request,
  send,
  startGatewayStack,
} from './gateway-harness.ts';

// The same scenarios under both fan-out designs: two replicas with a queue each, and
// three replicas competing on one shared queue and broadcasting through Redis.
describe.each([
  { replicas: 2, fanout: 'replica-queue' },
  { replicas: 3, fanout: 'shared-queue' },
])('delivery with $replicas replicas ($fanout)', ({ replicas, fanout }) => {
  const stack = startedForFile(() =>
    startGatewayStack(`delivery-${fanout}`, { replicas, gatewayEnv: { FANOUT: fanout } }),
  );

  const replica = (i: number) => stack.gateways[i % stack.gateways.length] as (typeof stack.gateways)[0];
  /** Two new users in a direct conversation, each connected to a different replica. */
  const directChatAcrossReplicas = async () => {
    const [ada, bob] = await stack.users(2);
    const chat = await stack.direct(ada, bob);
    return {
      ada,
      bob,
      chat,
      adaSocket: await stack.connect(replica(0), ada),
      bobSocket: await stack.connect(replica(1), bob),
    };
  };

  it('delivers a direct message to every socket of both users exactly once, across replicas', async () => {
    const [ada, bob] = await stack.users(2);
    const chat = await stack.direct(ada, bob);
    // Ada on replica 1; Bob on replica 2 and, with a second device, on the last replica.
    const adaSocket = await stack.connect(replica(0), ada);
    const bobSockets = [
      await stack.connect(replica(1), bob),
      await stack.connect(replica(replicas - 1), bob),
    ];
    const inboxes = [adaSocket, ...bobSockets].map((socket) => collect(socket, 'message:received'));

    const sent: Message[] = [];
    for (let i = 0; i < 20; i++) sent.push(await send(adaSocket, chat.id, `hello ${i} ✓ 你好`));
    expect(sent.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    for (const inbox of inboxes) {
      await eventually(() => inbox.length >= 20);
      await new Promise((resolve) => setTimeout(resolve, 200)); // room for any duplicate to show up
      expect(inbox.map((event) => event.message.seq)).toEqual(sent.map((m) => m.seq));
      expect(inbox[0]?.message).toEqual(sent[0]);
    }
  });

  it('delivers group messages to every member on every replica, and to nobody else', async () => {
    const [owner, ...members] = await stack.users(4);
    const users = [owner, ...members];
    const outsider = await stack.user();
    const group = await stack.group(owner, members);
    const sockets = await Promise.all(users.map((user, i) => stack.connect(replica(i), user)));
    const outsiderSocket = await stack.connect(replica(1), outsider);
    const inboxes = sockets.map((socket) => collect(socket, 'message:received'));
    const outsiderInbox = collect(outsiderSocket, 'message:received');

    const senders = sockets.slice(0, 3) as ClientSocket[];
    const acks = await Promise.all(
      senders.flatMap((socket) =>
        Array.from({ length: 5 }, () =>
          request(socket, 'message:send', {
            conversationId: group.id,
            clientMessageId: clientMessageId(),
            body: 'hi',
          }),
        ),
      ),
    );
    expect(acks.every((ack) => ack.ok)).toBe(true);
    // Membership changes post system messages, so this group's seqs do not start at 1.
    const expected = acks.map((ack) => (ack.ok ? ack.message.seq : 0)).sort((a, b) => a - b);
    for (const inbox of inboxes) {
      await eventually(() => inbox.length >= expected.length);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(inbox.map((event) => event.message.seq).sort((a, b) => a - b)).toEqual(expected);
    }
    expect(outsiderInbox).toEqual([]);
  });

  it('delivers what was published while a replica was reconnecting to the broker, once each', async () => {
    const [ada, bob] = await stack.users(2);
    const chat = await stack.direct(ada, bob);
    const dropped = replica(0);
    const bobSocket = await stack.connect(dropped, bob);
    const inbox = collect(bobSocket, 'message:received');
    const broker = dropped.broker as NonNullable<typeof dropped.broker>;

    dropConnection(broker);
    await eventually(() => !broker.connected);
    const sent: number[] = [];
    let storedWhileAway = false;
    for (let i = 0; i < 10; i++) {
      const message = await stack.call<Message>(ada, 'POST', `/conversations/${chat.id}/messages`, {
        clientMessageId: clientMessageId(),
        body: `while away ${i}`,
      });
      if (i === 0) storedWhileAway = !broker.connected;
      sent.push(message.seq);
    }
    // The scenario holds: the first message was stored (and published) while the replica had no connection.
    expect(storedWhileAway).toBe(true);
    await eventually(() => broker.connected);
    await eventually(() => inbox.length >= 10, 15_000);
    await new Promise((resolve) => setTimeout(resolve, 300)); // room for any duplicate
    expect(inbox.map((event) => event.message.seq)).toEqual(sent);
    expect(bobSocket.connected).toBe(true);
  });

  it('syncs the edits, deletions and reactions made while a member was away, by change cursor', async () => {
    const { ada, bob, chat, adaSocket, bobSocket } = await directChatAcrossReplicas();
    const edits = collect(bobSocket, 'message:updated');
    const sent: Message[] = [];
    for (const body of ['one', 'two', 'three']) sent.push(await send(adaSocket, chat.id, body));
    const at = (seq: number) => `/conversations/${chat.id}/messages/${seq}`;
    // Seen live: the event carries the change's number, the cursor Bob keeps.
    await stack.call(ada, 'PATCH', at(1), { body: 'one, edited' });
    await eventually(() => edits.length === 1);
    const [edit] = edits;
    expect(edit).toMatchObject({ message: { seq: 1, body: 'one, edited' }, changeSeq: 1 });
    bobSocket.disconnect();

    // While Bob is away: a deletion, a reaction and a new message.
    await stack.call(ada, 'DELETE', at(2));
    await stack.call(ada, 'PUT', `${at(3)}/reactions/${encodeURIComponent('👍')}`);
    const fourth = await stack.call<Message>(ada, 'POST', `/conversations/${chat.id}/messages`, {
      clientMessageId: clientMessageId(),
      body: 'four',
    });

    const back = await stack.connect(replica(0), bob);
    const synced = await eventually(async () => {
      const ack = await request(back, 'sync', { cursors: { [chat.id]: 3 }, changes: { [chat.id]: 1 } });
      if (!ack.ok) throw new Error(ack.error.message);
      const [conversation] = ack.conversations;
      // Three changes; a relay pass racing a publish may number one twice (read twice, not missed).
      if (!conversation || conversation.changeSeq < 3 || conversation.changed.length < 2)
        throw new Error(`not caught up: ${JSON.stringify(ack)}`);
      return conversation;
    });
    expect(synced.messages.map((m) => m.id)).toEqual([fourth.id]);
    expect(synced.changed.map((m) => m.seq)).toEqual([2, 3]);
    expect(synced.changed[0]).toMatchObject({ body: null, deletedAt: expect.any(String) });
    expect(synced.changed[1]?.reactions).toEqual([{ emoji: '👍', userIds: [ada.id] }]);
    expect(synced.hasMoreChanges).toBe(false);
    // Without a change cursor: the new messages and the cursor to start from, no changes.
    const plain = await request(back, 'sync', { cursors: { [chat.id]: 3 } });
    if (!plain.ok) throw new Error(plain.error.message);
    expect(plain.conversations[0]).toMatchObject({
      changed: [],
      changeSeq: synced.changeSeq,
      hasMoreChanges: false,
    });
    // A change cursor keyed by something that is not a conversation id is refused.
    const bad = await request(back, 'sync', { cursors: {}, changes: { nope: 1 } } as never);
    expect(bad.ok).toBe(false);
  });

  it('relays delivered and read receipts as message:status to the other members', async () => {
    const { bob, chat, adaSocket, bobSocket } = await directChatAcrossReplicas();
    const statuses = collect(adaSocket, 'message:status');
    const received = collect(bobSocket, 'message:received');

    await request(adaSocket, 'message:send', {
      conversationId: chat.id,
      clientMessageId: clientMessageId(),
      body: 'ping',
    });
    await eventually(() => received.length === 1);
    expect(await request(bobSocket, 'message:delivered', { conversationId: chat.id, seq: 1 })).toEqual({
      ok: true,
      deliveredSeq: 1,
    });
    expect(await request(bobSocket, 'conversation:read', { conversationId: chat.id, seq: 1 })).toEqual({
      ok: true,
      readSeq: 1,
    });
    await eventually(() => statuses.length === 2);
    expect(statuses).toEqual([
      { conversationId: chat.id, userId: bob.id, deliveredSeq: 1 },
      { conversationId: chat.id, userId: bob.id, readSeq: 1 },
    ]);
  });

  it('tells members about conversation changes, including the member removed', async () => {
    const [owner, kept, removed, added] = await stack.users(4);
    const group = await stack.group(owner, [kept, removed]);
    const sockets = await Promise.all(
      [owner, kept, removed, added].map((u, i) => stack.connect(replica(i), u)),
    );
    const updates = sockets.map((socket) => collect(socket, 'conversation:updated'));
    // The group's creation may still be on its way to the sockets just connected: only the
    // updates this test makes (every one lists the added member) are counted.
    const ours = (all: (typeof updates)[0]) =>
      all.filter((u) => u.conversation.members.some((m) => m.userId === added.id));

    await stack.call(owner, 'POST', `/conversations/${group.id}/members`, { userIds: [added.id] });
    await stack.call(owner, 'DELETE', `/conversations/${group.id}/members/${removed.id}`);
    const [ownerAll, keptAll, removedAll, addedAll] = updates as [
      (typeof updates)[0],
      (typeof updates)[0],
      (typeof updates)[0],
      (typeof updates)[0],
    ];
    await eventually(
      () => ours(ownerAll).length === 2 && ours(keptAll).length === 2 && ours(addedAll).length === 2,
    ).catch((error: Error) => {
      const seen = (u: typeof ownerAll) => JSON.stringify(ours(u).map((x) => x.removedUserIds ?? 'added'));
      error.message += `: owner ${seen(ownerAll)}, kept ${seen(keptAll)}, added ${seen(addedAll)}`;
      throw error;
    });
    await eventually(() => ours(removedAll).length === 2);
    for (const all of [ownerAll, keptAll, removedAll, addedAll]) {
      expect(ours(all).map((u) => u.removedUserIds)).toEqual([undefined, [removed.id]]);
    }
    expect(
      ours(addedAll)[1]
        ?.conversation.members.map((m) => m.userId)
        .sort(),
    ).toEqual([owner.id, kept.id, added.id].sort());
  });

  it('exposes sockets, events, delivery latency and queue depth on /metrics', async () => {
    const text = await (await fetch(`${replica(0).url}/metrics`)).text();
    expect(text).toMatch(/^gateway_connected_sockets\{[^}]*\} \d+/m);
    expect(text).toMatch(/^gateway_socket_events_received_total\{[^}]*event="message:send"[^}]*\} [1-9]/m);
    expect(text).toMatch(/^gateway_socket_events_emitted_total\{[^}]*event="message:received"[^}]*\} [1-9]/m);
    expect(text).toMatch(/^gateway_delivery_latency_seconds_count\{[^}]*\} [1-9]/m);
    expect(text).toMatch(/^gateway_broker_queue_depth\{[^}]*\} \d+/m);
  });

  it('acks a send the member may not make with the message service error, and stores nothing', async () => {
    const [ada, bob, eve] = await stack.users(3);
    const chat = await stack.direct(ada, bob);
    const eveSocket = await stack.connect(replica(0), eve);
    const ack = await request(eveSocket, 'message:send', {
      conversationId: chat.id,
      clientMessageId: clientMessageId(),
      body: 'let me in',
    });
    expect(ack).toEqual({ ok: false, error: { code: 'not_found', message: expect.any(String) } });
    const history = await stack.call<{ messages: Message[] }>(
      ada,
      'GET',
      `/messages?conversationId=${chat.id}`,
    );
    expect(history.messages).toEqual([]);
  });
});
