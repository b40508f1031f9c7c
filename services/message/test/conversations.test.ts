import { startedForFile } from '@palaver/testing';
import { describe, expect, it } from 'vitest';
import {
  clientId,
  makeUser,
  makeUsers,
  requestsTo,
  startRecordedMessage,
  type TestUser,
} from './message-harness.ts';

const [ada, bob, carol, stranger] = await makeUsers(4);
const service = startedForFile(() => startRecordedMessage('conversations', 'conversation.#'));

const call = requestsTo(service);

describe('direct conversations', () => {
  it('are unique per pair: opening again (from either side) returns the same one', async () => {
    const first = await call(ada, 'POST', '/conversations', { type: 'direct', userId: bob.id });
    expect(first.statusCode).toBe(201);
    const again = await call(bob, 'POST', '/conversations', { type: 'direct', userId: ada.id });
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(first.json().id);
    expect(first.json()).toMatchObject({ type: 'direct', title: null, lastSeq: 0 });
    expect(
      first
        .json()
        .members.map((m: { userId: string }) => m.userId)
        .sort(),
    ).toEqual([ada.id, bob.id].sort());
  });

  it('opened concurrently still yield one conversation', async () => {
    const [dave, erin] = await Promise.all([makeUser(), makeUser()]);
    const results = await Promise.all([
      call(dave, 'POST', '/conversations', { type: 'direct', userId: erin.id }),
      call(erin, 'POST', '/conversations', { type: 'direct', userId: dave.id }),
    ]);
    expect(new Set(results.map((r) => r.json().id)).size).toBe(1);
  });

  it('cannot be opened with oneself, and have fixed members', async () => {
    expect(
      (await call(ada, 'POST', '/conversations', { type: 'direct', userId: ada.id })).json().error.code,
    ).toBe('cannot_message_self');
    const direct = (await call(ada, 'POST', '/conversations', { type: 'direct', userId: carol.id })).json();
    expect(
      (await call(ada, 'POST', `/conversations/${direct.id}/members`, { userIds: [bob.id] })).statusCode,
    ).toBe(400);
  });
});

describe('groups and membership rules', () => {
  it('owner renames, adds and removes; members cannot; strangers get 404 everywhere', async () => {
    const group = await service.createGroup(ada, [bob], 'Team');
    expect(group.members.find((m) => m.userId === ada.id)?.role).toBe('owner');
    await service.events.waitFor(
      (e) =>
        e.type === 'conversation.created' &&
        (e.data as { conversation: { id: string } }).conversation.id === group.id,
    );

    // A plain member may not manage.
    expect((await call(bob, 'PATCH', `/conversations/${group.id}`, { title: 'Mine' })).statusCode).toBe(403);
    expect(
      (await call(bob, 'POST', `/conversations/${group.id}/members`, { userIds: [carol.id] })).statusCode,
    ).toBe(403);
    expect((await call(bob, 'DELETE', `/conversations/${group.id}/members/${ada.id}`)).statusCode).toBe(403);

    // A stranger cannot even see it exists.
    for (const [method, url, payload] of [
      ['GET', `/conversations/${group.id}`],
      ['PATCH', `/conversations/${group.id}`, { title: 'x' }],
      ['POST', `/conversations/${group.id}/members`, { userIds: [stranger.id] }],
      ['DELETE', `/conversations/${group.id}/members/${bob.id}`],
      ['POST', `/conversations/${group.id}/read`, { seq: 1 }],
      ['GET', `/messages?conversationId=${group.id}`],
      ['POST', `/conversations/${group.id}/messages`, { clientMessageId: 'x1', body: 'hi' }],
      ['PATCH', `/conversations/${group.id}/messages/1`, { body: 'x' }],
      ['DELETE', `/conversations/${group.id}/messages/1`],
    ] as const) {
      const response = await call(stranger, method, url, payload);
      expect(response.statusCode, `${method} ${url}`).toBe(404);
      expect(response.json().error.code).toBe('not_found');
    }

    const renamed = await call(ada, 'PATCH', `/conversations/${group.id}`, { title: '  Core team ' });
    expect(renamed.json().title).toBe('Core team');

    const added = await call(ada, 'POST', `/conversations/${group.id}/members`, {
      userIds: [carol.id, bob.id],
    });
    expect(added.statusCode).toBe(200);
    expect(added.json().members).toHaveLength(3);
    const addedEvent = await service.events.waitFor((e) => e.type === 'conversation.member_added');
    expect(addedEvent.data).toMatchObject({ userIds: [carol.id], by: ada.id });

    const carolAndAda = await call(carol, 'POST', '/conversations', { type: 'direct', userId: ada.id });
    expect(carolAndAda.statusCode).toBeLessThan(300);
    expect((await call(ada, 'DELETE', `/conversations/${group.id}/members/${carol.id}`)).statusCode).toBe(
      204,
    );
    expect((await call(carol, 'GET', `/conversations/${group.id}`)).statusCode).toBe(404);
    const removed = await service.events.waitFor((e) => e.type === 'conversation.member_removed');
    const removal = removed.data as { memberIds: string[]; stillShared: Record<string, number> };
    expect(removal.memberIds).toContain(carol.id);
    // Who still shares a conversation with Carol (and the smallest one's size) decides presence.
    expect(removal.stillShared[ada.id]).toBe(2);
    expect(removal.stillShared).not.toHaveProperty(bob.id);

    // Bob leaves by himself.
    expect((await call(bob, 'DELETE', `/conversations/${group.id}/members/${bob.id}`)).statusCode).toBe(204);

    // Every membership change left a system message in history.
    const history = (await call(ada, 'GET', `/messages?conversationId=${group.id}&after=0`)).json();
    expect(
      history.messages.map((m: { kind: string; body: string }) => [m.kind, JSON.parse(m.body).event]),
    ).toEqual([
      ['system', 'member_added'],
      ['system', 'member_removed'],
      ['system', 'member_left'],
    ]);
  });

  it('passes ownership on when the owner leaves', async () => {
    const group = await service.createGroup(ada, [bob, carol], 'Handover');
    expect((await call(ada, 'DELETE', `/conversations/${group.id}/members/${ada.id}`)).statusCode).toBe(204);
    const after = (await call(bob, 'GET', `/conversations/${group.id}`)).json();
    expect(after.members.find((m: { userId: string }) => m.userId === bob.id).role).toBe('owner');
  });

  it('hands a group to another member: they own it, the caller becomes an admin, everyone is told', async () => {
    const group = await service.createGroup(ada, [bob, carol], 'Handing over');
    const owner = `/conversations/${group.id}/owner`;
    expect((await call(bob, 'PUT', owner, { userId: carol.id })).json().error.code).toBe('forbidden');
    expect((await call(ada, 'PUT', owner, { userId: stranger.id })).statusCode).toBe(404);
    expect((await call(stranger, 'PUT', owner, { userId: bob.id })).statusCode).toBe(404);
    expect((await call(ada, 'PUT', owner, { userId: { $ne: null } })).statusCode).toBe(400);

    const handed = await call(ada, 'PUT', owner, { userId: bob.id });
    expect(handed.statusCode).toBe(200);
    const roles = Object.fromEntries(
      handed.json().members.map((m: { userId: string; role: string }) => [m.userId, m.role]),
    );
    expect(roles).toEqual({ [ada.id]: 'admin', [bob.id]: 'owner', [carol.id]: 'member' });
    // The former owner, an admin now, cannot hand it on; the new owner can.
    expect((await call(ada, 'PUT', owner, { userId: carol.id })).statusCode).toBe(403);
    const told = await service.events.waitFor(
      (e) =>
        e.type === 'conversation.updated' &&
        (e.data as { conversation: { id: string } }).conversation.id === group.id,
    );
    expect((told.data as { memberIds: string[] }).memberIds.sort()).toEqual(
      [ada.id, bob.id, carol.id].sort(),
    );
    const history = (await call(carol, 'GET', `/messages?conversationId=${group.id}&after=0`)).json();
    expect(JSON.parse(history.messages.at(-1).body)).toEqual({
      event: 'owner_changed',
      by: ada.id,
      userIds: [bob.id],
    });
    const direct = (await call(ada, 'POST', '/conversations', { type: 'direct', userId: carol.id })).json();
    expect(
      (await call(ada, 'PUT', `/conversations/${direct.id}/owner`, { userId: carol.id })).json().error.code,
    ).toBe('not_a_group');
  });

  it('never gives a group two owners, however handovers and the owner leaving race', async () => {
    for (let round = 0; round < 10; round++) {
      const group = await service.createGroup(ada, [bob, carol], `Race ${round}`);
      const owner = `/conversations/${group.id}/owner`;
      const answers = await Promise.all([
        call(ada, 'PUT', owner, { userId: bob.id }),
        call(ada, 'PUT', owner, { userId: carol.id }),
        round % 2 === 0
          ? call(ada, 'DELETE', `/conversations/${group.id}/members/${ada.id}`)
          : call(ada, 'PUT', owner, { userId: bob.id }),
      ]);
      for (const answer of answers) expect([200, 204, 403, 409]).toContain(answer.statusCode);
      const viewer = (await call(carol, 'GET', `/conversations/${group.id}`)).json();
      const owners = viewer.members.filter((m: { role: string }) => m.role === 'owner');
      expect(owners, `round ${round}: ${JSON.stringify(viewer.members)}`).toHaveLength(1);
    }
  });

  it('never leaves a group without its owner when a role change races the handover to them', async () => {
    for (let round = 0; round < 10; round++) {
      const group = await service.createGroup(ada, [bob, carol], `Roles race ${round}`);
      const member = (userId: string) => `/conversations/${group.id}/members/${userId}`;
      expect((await call(ada, 'PATCH', member(carol.id), { role: 'admin' })).statusCode).toBe(200);
      expect((await call(ada, 'PATCH', member(bob.id), { role: 'admin' })).statusCode).toBe(200);
      const [handover, ...roleChanges] = await Promise.all([
        call(ada, 'PUT', `/conversations/${group.id}/owner`, { userId: bob.id }),
        call(carol, 'PATCH', member(bob.id), { role: 'member' }),
        call(carol, 'PATCH', member(bob.id), { role: 'admin' }),
      ]);
      expect(handover?.statusCode, handover?.body).toBe(200);
      for (const answer of roleChanges) expect([200, 403, 409], answer.body).toContain(answer.statusCode);
      const viewer = (await call(carol, 'GET', `/conversations/${group.id}`)).json();
      const owners = viewer.members.filter((m: { role: string }) => m.role === 'owner');
      expect(
        owners.map((m: { userId: string }) => m.userId),
        `round ${round}`,
      ).toEqual([bob.id]);
    }
  });

  it.each([
    [{ type: 'group', title: '', memberIds: [] }],
    [{ type: 'group', title: 'x', memberIds: ['nope'] }],
    [{ type: 'group', memberIds: ['0'.repeat(24)] }],
    [{ type: 'direct', userId: { $gt: '' } }],
    [{ type: 'channel', userId: '0'.repeat(24) }],
    [{ type: 'direct', userId: '0'.repeat(24), title: 'extra' }],
  ])('rejects %j with 400', async (payload) => {
    const response = await call(ada, 'POST', '/conversations', payload);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('invalid_request');
  });
});

describe('GET /conversations', () => {
  it('lists by last activity with previews and unread counts from counters, paginated', async () => {
    const me = await makeUser();
    const peers = await Promise.all(Array.from({ length: 3 }, () => makeUser()));
    const chats = [];
    for (const peer of peers) chats.push(await service.createDirect(me, peer));
    // Activity: the first chat gets two messages last, so it comes first.
    await service.send(peers[1] as TestUser, chats[1]?.id as string, {
      clientMessageId: clientId(),
      body: 'middle',
    });
    await service.send(peers[0] as TestUser, chats[0]?.id as string, {
      clientMessageId: clientId(),
      body: 'one',
    });
    await service.send(peers[0] as TestUser, chats[0]?.id as string, {
      clientMessageId: clientId(),
      body: 'two',
    });

    const page1 = (await call(me, 'GET', '/conversations?limit=2')).json();
    expect(page1.conversations.map((c: { id: string }) => c.id)).toEqual([chats[0]?.id, chats[1]?.id]);
    expect(page1.conversations[0]).toMatchObject({ unreadCount: 2, lastMessage: { body: 'two', seq: 2 } });
    expect(page1.conversations[1]).toMatchObject({ unreadCount: 1, lastMessage: { body: 'middle' } });
    const page2 = (await call(me, 'GET', `/conversations?limit=2&cursor=${page1.nextCursor}`)).json();
    expect(page2.conversations.map((c: { id: string }) => c.id)).toEqual([chats[2]?.id]);
    expect(page2).toMatchObject({ nextCursor: null, conversations: [{ unreadCount: 0, lastMessage: null }] });

    // Reading lowers the unread count.
    await call(me, 'POST', `/conversations/${chats[0]?.id}/read`, { seq: 1 });
    expect((await call(me, 'GET', '/conversations?limit=1')).json().conversations[0].unreadCount).toBe(1);
  });

  it.each(['limit=0', 'limit=101', 'cursor=abc', 'extra=1'])('rejects %s with 400', async (query) => {
    expect((await call(ada, 'GET', `/conversations?${query}`)).statusCode).toBe(400);
  });
});

describe('POST /conversations/:id/read', () => {
  it('is monotonic: a lower seq never moves it back; it is capped at lastSeq; it is announced', async () => {
    const chat = await service.createDirect(ada, carol);
    for (let i = 0; i < 5; i++)
      await service.send(carol, chat.id, { clientMessageId: clientId(), body: `m${i}` });
    const read = (seq: unknown) => call(ada, 'POST', `/conversations/${chat.id}/read`, { seq } as object);
    expect((await read(3)).json()).toEqual({ conversationId: chat.id, userId: ada.id, lastReadSeq: 3 });
    expect((await read(1)).json().lastReadSeq).toBe(3);
    expect((await read(99)).json().lastReadSeq).toBe(5);
    await service.events.waitFor(
      (e) => e.type === 'conversation.read' && (e.data as { readSeq: number; userId: string }).readSeq === 5,
    );
    const members = (await call(carol, 'GET', `/conversations/${chat.id}`)).json().members;
    expect(members.find((m: { userId: string }) => m.userId === ada.id)).toMatchObject({
      lastReadSeq: 5,
      lastDeliveredSeq: 5,
    });
    for (const bad of [-1, 'three', 1.5, { $gt: 0 }]) expect((await read(bad)).statusCode).toBe(400);
  });
});

describe('POST /conversations/:id/delivered', () => {
  it('is monotonic, capped at lastSeq, members only, and leaves the read mark alone', async () => {
    const chat = await service.createDirect(bob, carol);
    for (let i = 0; i < 3; i++)
      await service.send(carol, chat.id, { clientMessageId: clientId(), body: `d${i}` });
    const delivered = (user: TestUser, seq: unknown) =>
      call(user, 'POST', `/conversations/${chat.id}/delivered`, { seq } as object);
    expect((await delivered(bob, 2)).json()).toEqual({
      conversationId: chat.id,
      userId: bob.id,
      lastDeliveredSeq: 2,
    });
    expect((await delivered(bob, 1)).json().lastDeliveredSeq).toBe(2);
    expect((await delivered(bob, 50)).json().lastDeliveredSeq).toBe(3);
    const members = (await call(carol, 'GET', `/conversations/${chat.id}`)).json().members;
    expect(members.find((m: { userId: string }) => m.userId === bob.id)).toMatchObject({
      lastReadSeq: 0,
      lastDeliveredSeq: 3,
    });
    expect((await delivered(stranger, 1)).statusCode).toBe(404);
    for (const bad of [-1, 'x', { $gt: 0 }]) expect((await delivered(bob, bad)).statusCode).toBe(400);
  });
});

describe('GET /contacts', () => {
  it('lists everyone sharing a conversation with the caller, once, without the caller', async () => {
    const [dora, eve, finn, gus] = await Promise.all([makeUser(), makeUser(), makeUser(), makeUser()]);
    await service.createDirect(dora, eve);
    await service.createGroup(dora, [eve, finn]);
    const contacts = (await call(dora, 'GET', '/contacts')).json().userIds as string[];
    expect(contacts.sort()).toEqual([eve.id, finn.id].sort());
    expect((await call(gus, 'GET', '/contacts')).json()).toEqual({ userIds: [] });
    // Groups above maxGroupSize do not count (presence is not shared there).
    expect((await call(dora, 'GET', '/contacts?maxGroupSize=2')).json()).toEqual({ userIds: [eve.id] });
    for (const bad of ['maxGroupSize=1', 'maxGroupSize=x', 'maxGroupSize=100000', 'other=1']) {
      expect((await call(dora, 'GET', `/contacts?${bad}`)).statusCode).toBe(400);
    }
    expect((await service.app.inject({ method: 'GET', url: '/contacts' })).statusCode).toBe(401);
  });
});
