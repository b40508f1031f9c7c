import { maxReactionKinds } from '@palaver/contracts';
import { startedForFile } from '@palaver/testing';
import { describe, expect, it } from 'vitest';
import { clientId, makeUser, requestsTo, startRecordedMessage, type TestUser } from './message-harness.ts';

// Reactions, mute, own messages and unread, and blocking, on the real store and broker.
const service = startedForFile(() => startRecordedMessage('chat-features', '#'));

const call = requestsTo(service);
const reactionUrl = (conversationId: string, seq: number, emoji: string) =>
  `/conversations/${conversationId}/messages/${seq}/reactions/${encodeURIComponent(emoji)}`;
const summaryOf = async (user: TestUser, conversationId: string) =>
  (await call(user, 'GET', '/conversations?limit=100'))
    .json()
    .conversations.find((c: { id: string }) => c.id === conversationId);
const sendText = async (user: TestUser, conversationId: string, body = 'hello') => {
  const response = await service.send(user, conversationId, { clientMessageId: clientId(), body });
  expect(response.statusCode, JSON.stringify(response.json())).toBe(201);
  return response.json();
};

describe('reactions', () => {
  it('one per emoji per member: toggled, counted with who reacted, in history and live events', async () => {
    const [ada, bob, carol] = await Promise.all([makeUser(), makeUser(), makeUser()]);
    const group = await service.createGroup(ada, [bob, carol]);
    const message = await sendText(ada, group.id);

    const first = await call(bob, 'PUT', reactionUrl(group.id, message.seq, '👍'));
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json().reactions).toEqual([{ emoji: '👍', userIds: [bob.id] }]);
    // Again is a no-op (and announces nothing new).
    expect((await call(bob, 'PUT', reactionUrl(group.id, message.seq, '👍'))).json().reactions).toEqual([
      { emoji: '👍', userIds: [bob.id] },
    ]);
    await call(carol, 'PUT', reactionUrl(group.id, message.seq, '👍'));
    await call(carol, 'PUT', reactionUrl(group.id, message.seq, '👩🏽‍💻'));

    const history = (await call(ada, 'GET', `/messages?conversationId=${group.id}`)).json();
    expect(history.messages[0].reactions).toEqual([
      { emoji: '👍', userIds: [bob.id, carol.id] },
      { emoji: '👩🏽‍💻', userIds: [carol.id] },
    ]);

    const removed = await call(carol, 'DELETE', reactionUrl(group.id, message.seq, '👍'));
    expect(removed.json().reactions).toEqual([
      { emoji: '👍', userIds: [bob.id] },
      { emoji: '👩🏽‍💻', userIds: [carol.id] },
    ]);
    expect((await call(carol, 'DELETE', reactionUrl(group.id, message.seq, '👍'))).statusCode).toBe(200);

    const announced = await service.events.waitFor(
      (e) => e.type === 'message.reaction' && (e.data as { reacted: boolean }).reacted === false,
    );
    expect(announced.data).toMatchObject({
      conversationId: group.id,
      messageId: message.id,
      seq: message.seq,
      emoji: '👍',
      userId: carol.id,
      memberIds: expect.arrayContaining([ada.id, bob.id, carol.id]),
    });
    const own = service.events.events.filter(
      (e) => e.type === 'message.reaction' && (e.data as { messageId: string }).messageId === message.id,
    );
    expect(own.map((e) => (e.data as { reacted: boolean }).reacted)).toEqual([true, true, true, false]);
  });

  it('survive concurrent reactions to one message: none is lost', async () => {
    const owner = await makeUser();
    const people = await Promise.all(Array.from({ length: 12 }, () => makeUser()));
    const group = await service.createGroup(owner, people);
    const message = await sendText(owner, group.id);
    const emoji = ['👍', '🎉', '❤️'];
    const results = await Promise.all(
      people.flatMap((person) =>
        emoji.map((e) => call(person, 'PUT', reactionUrl(group.id, message.seq, e))),
      ),
    );
    expect(results.map((r) => r.statusCode)).toEqual(results.map(() => 200));
    const [stored] = (await call(owner, 'GET', `/messages?conversationId=${group.id}`)).json().messages;
    expect(stored.reactions.map((r: { emoji: string }) => r.emoji).sort()).toEqual([...emoji].sort());
    for (const reaction of stored.reactions) {
      expect([...reaction.userIds].sort()).toEqual(people.map((p) => p.id).sort());
    }
  });

  it(`hold at most ${maxReactionKinds} different emoji per message, even when added at once`, async () => {
    const [ada, bob] = await Promise.all([makeUser(), makeUser()]);
    const chat = await service.createDirect(ada, bob);
    const message = await sendText(ada, chat.id);
    const many = [...'😀😁😂🤣😃😄😅😆😉😊😋😎😍😘🥰😗😙🥲😚🙂🤗🤩🤔🫡🤨'].slice(0, maxReactionKinds + 5);
    const results = await Promise.all(
      many.map((e) => call(bob, 'PUT', reactionUrl(chat.id, message.seq, e))),
    );
    const refused = results.filter((r) => r.statusCode === 409);
    expect(refused).toHaveLength(5);
    expect(refused[0]?.json().error.code).toBe('too_many_reactions');
    const [stored] = (await call(ada, 'GET', `/messages?conversationId=${chat.id}`)).json().messages;
    expect(stored.reactions).toHaveLength(maxReactionKinds);
    // An emoji already there can still be added by someone else.
    const kept = stored.reactions[0].emoji;
    expect((await call(ada, 'PUT', reactionUrl(chat.id, message.seq, kept))).statusCode).toBe(200);
  });

  it('refuse non-emoji, several emoji, non-members (404), missing and deleted messages', async () => {
    const [ada, bob, stranger] = await Promise.all([makeUser(), makeUser(), makeUser()]);
    const chat = await service.createDirect(ada, bob);
    const message = await sendText(ada, chat.id);
    for (const emoji of ['a', '👍👍', ' 👍', '👍\u0000', '%24gt', '{"$gt":""}', 'x'.repeat(40)]) {
      const response = await call(bob, 'PUT', reactionUrl(chat.id, message.seq, emoji));
      expect(response.statusCode, emoji).toBe(400);
      expect(response.json().error.code).toBe('invalid_request');
    }
    expect((await call(stranger, 'PUT', reactionUrl(chat.id, message.seq, '👍'))).statusCode).toBe(404);
    expect((await call(bob, 'PUT', reactionUrl(chat.id, 99, '👍'))).statusCode).toBe(404);
    expect((await call(bob, 'PUT', `${reactionUrl(chat.id, message.seq, '👍')}`, {})).statusCode).toBe(200);
    await call(ada, 'DELETE', `/conversations/${chat.id}/messages/${message.seq}`);
    const gone = await call(bob, 'PUT', reactionUrl(chat.id, message.seq, '🎉'));
    expect(gone.statusCode).toBe(409);
    expect(gone.json().error.code).toBe('message_deleted');
    // A tombstone shows no reactions.
    const [tombstone] = (await call(ada, 'GET', `/messages?conversationId=${chat.id}`)).json().messages;
    expect(tombstone.reactions).toEqual([]);
    expect((await service.app.inject({ method: 'PUT', url: reactionUrl(chat.id, 1, '👍') })).statusCode).toBe(
      401,
    );
  });

  it('stay on a message that is edited, in the answer and the event', async () => {
    const [ada, bob] = await Promise.all([makeUser(), makeUser()]);
    const chat = await service.createDirect(ada, bob);
    const message = await sendText(ada, chat.id);
    await call(bob, 'PUT', reactionUrl(chat.id, message.seq, '🎉'));
    const edited = await call(ada, 'PATCH', `/conversations/${chat.id}/messages/${message.seq}`, {
      body: 'edited',
    });
    expect(edited.json().reactions).toEqual([{ emoji: '🎉', userIds: [bob.id] }]);
    const event = await service.events.waitFor(
      (e) =>
        e.type === 'message.updated' && (e.data as { message: { id: string } }).message.id === message.id,
    );
    expect((event.data as { message: { reactions: unknown } }).message.reactions).toEqual([
      { emoji: '🎉', userIds: [bob.id] },
    ]);
  });
});

describe('own messages and mute', () => {
  it("never counts the caller's own messages, or what came before them, as unread", async () => {
    const [ada, bob, carol] = await Promise.all([makeUser(), makeUser(), makeUser()]);
    const group = await service.createGroup(ada, [bob, carol]);
    await call(ada, 'POST', `/conversations/${group.id}/read`, { seq: 0 });
    const unread = async (user: TestUser) => (await summaryOf(user, group.id)).unreadCount;
    // Ada's own message is newest: nothing is unread for her (the system message before it neither).
    await sendText(ada, group.id, 'from ada');
    expect(await unread(ada)).toBe(0);
    expect(await unread(bob)).toBeGreaterThan(0);
    // Two replies after hers are unread, hers is not.
    await sendText(bob, group.id, 'from bob');
    await sendText(carol, group.id, 'from carol');
    expect(await unread(ada)).toBe(2);
    // Her read mark, when later, counts.
    const lastSeq = (await summaryOf(ada, group.id)).lastMessage.seq;
    await call(ada, 'POST', `/conversations/${group.id}/read`, { seq: lastSeq - 1 });
    expect(await unread(ada)).toBe(1);
    // Replying reads the rest.
    await sendText(bob, group.id, 'again');
    expect(await unread(ada)).toBe(2);
    await sendText(ada, group.id, 'seen it');
    expect(await unread(ada)).toBe(0);
    expect(await unread(carol)).toBe(2); // after her own message: bob's and ada's
  });

  it('mute keeps unread counting, is per member, idempotent, and told to the member alone', async () => {
    const [ada, bob, stranger] = await Promise.all([makeUser(), makeUser(), makeUser()]);
    const chat = await service.createDirect(ada, bob);
    expect((await call(ada, 'PUT', `/conversations/${chat.id}/mute`)).statusCode).toBe(204);
    expect((await call(ada, 'PUT', `/conversations/${chat.id}/mute`)).statusCode).toBe(204);
    await sendText(bob, chat.id);
    expect(await summaryOf(ada, chat.id)).toMatchObject({ muted: true, unreadCount: 1 });
    expect(await summaryOf(bob, chat.id)).toMatchObject({ muted: false });
    const event = await service.events.waitFor(
      (e) =>
        e.type === 'conversation.muted' && (e.data as { conversationId: string }).conversationId === chat.id,
    );
    expect(event.data).toEqual({ conversationId: chat.id, userId: ada.id, muted: true, memberIds: [ada.id] });
    expect(
      service.events.events.filter(
        (e) =>
          e.type === 'conversation.muted' &&
          (e.data as { conversationId: string }).conversationId === chat.id,
      ),
    ).toHaveLength(1);

    expect((await call(ada, 'DELETE', `/conversations/${chat.id}/mute`)).statusCode).toBe(204);
    expect((await summaryOf(ada, chat.id)).muted).toBe(false);
    expect((await call(stranger, 'PUT', `/conversations/${chat.id}/mute`)).statusCode).toBe(404);
    expect((await call(ada, 'PUT', '/conversations/nope/mute')).statusCode).toBe(400);
  });
});

describe('blocking', () => {
  it('stops new direct chats and messages in the existing one, both ways, until unblocked', async () => {
    const [ada, bob] = await Promise.all([makeUser(), makeUser()]);
    const chat = await service.createDirect(ada, bob);
    expect((await call(ada, 'PUT', `/blocks/${bob.id}`)).statusCode).toBe(204);
    expect((await call(ada, 'PUT', `/blocks/${bob.id}`)).statusCode).toBe(204);

    for (const [from, to] of [
      [bob, ada],
      [ada, bob],
    ] as const) {
      const sent = await service.send(from, chat.id, { clientMessageId: clientId(), body: 'hi' });
      expect(sent.statusCode).toBe(403);
      expect(sent.json().error?.code).toBe('blocked');
      const opened = await call(from, 'POST', '/conversations', { type: 'direct', userId: to.id });
      expect(opened.statusCode).toBe(403);
    }
    expect((await call(ada, 'GET', '/blocks')).json().blocks).toEqual([
      { userId: bob.id, blockedAt: expect.any(String) },
    ]);
    expect((await call(bob, 'GET', '/blocks')).json().blocks).toEqual([]);
    const event = await service.events.waitFor(
      (e) => e.type === 'user.blocked' && (e.data as { blockerId: string }).blockerId === ada.id,
    );
    expect(event.data).toMatchObject({ blockedId: bob.id, blocked: true, memberIds: [ada.id] });

    expect((await call(ada, 'DELETE', `/blocks/${bob.id}`)).statusCode).toBe(204);
    expect((await service.send(bob, chat.id, { clientMessageId: clientId(), body: 'hi' })).statusCode).toBe(
      201,
    );
    const unblocked = await service.events.waitFor(
      (e) =>
        e.type === 'user.blocked' &&
        (e.data as { blocked: boolean; blockerId: string }).blockerId === ada.id &&
        !(e.data as { blocked: boolean }).blocked,
    );
    // They still share the direct chat: the gateways may share presence again.
    expect(unblocked.data).toMatchObject({ sharedSize: 2 });

    // Not while the other still blocks: then presence stays off.
    await call(bob, 'PUT', `/blocks/${ada.id}`);
    await call(ada, 'PUT', `/blocks/${bob.id}`);
    await call(ada, 'DELETE', `/blocks/${bob.id}`);
    const stillBlocked = await service.events.waitFor(
      (e) =>
        e.type === 'user.blocked' &&
        e.id !== unblocked.id &&
        (e.data as { blockerId: string; blocked: boolean }).blockerId === ada.id &&
        !(e.data as { blocked: boolean }).blocked,
    );
    expect(stillBlocked.data).not.toHaveProperty('sharedSize');
    expect((await service.send(ada, chat.id, { clientMessageId: clientId(), body: 'hi' })).statusCode).toBe(
      403,
    );
  });

  it('hides presence either way, and keeps the blocked from adding the blocker to groups', async () => {
    const [ada, bob, carol] = await Promise.all([makeUser(), makeUser(), makeUser()]);
    await service.createDirect(ada, bob);
    const group = await service.createGroup(bob, [carol]);
    await call(ada, 'PUT', `/blocks/${bob.id}`);
    expect((await call(ada, 'GET', '/contacts')).json().userIds).not.toContain(bob.id);
    expect((await call(bob, 'GET', '/contacts')).json().userIds).not.toContain(ada.id);

    const added = await call(bob, 'POST', `/conversations/${group.id}/members`, { userIds: [ada.id] });
    expect(added.statusCode).toBe(403);
    expect(added.json().error).toMatchObject({ code: 'blocked', details: { userIds: [ada.id] } });
    const created = await call(bob, 'POST', '/conversations', {
      type: 'group',
      title: 'x',
      memberIds: [ada.id, carol.id],
    });
    expect(created.statusCode).toBe(403);
    // A third person may still put both in one group: only the blocked adding the blocker is refused.
    const other = await service.createGroup(carol, [ada]);
    expect(
      (await call(carol, 'POST', `/conversations/${other.id}/members`, { userIds: [bob.id] })).statusCode,
    ).toBe(200);
  });

  it('refuses blocking oneself, malformed ids and callers without a token', async () => {
    const ada = await makeUser();
    expect((await call(ada, 'PUT', `/blocks/${ada.id}`)).json().error.code).toBe('cannot_block_self');
    expect((await call(ada, 'PUT', '/blocks/not-an-id')).statusCode).toBe(400);
    expect((await call(ada, 'PUT', '/blocks/%7B%22%24gt%22%3A%22%22%7D')).statusCode).toBe(400);
    expect((await service.app.inject({ method: 'GET', url: '/blocks' })).statusCode).toBe(401);
  });
});
