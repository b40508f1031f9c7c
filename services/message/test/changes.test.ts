import type { Message, MessageChanges } from '@palaver/contracts';
import { Types } from 'mongoose';
import { describe, expect, it } from 'vitest';
import { clientId, makeUser, recordedPairForFile, requestsTo, type TestUser } from './message-harness.ts';

// The change cursor: edits, deletions and reactions numbered per conversation, so a client
// that was away gets every change since its cursor, not only the new messages.
const { service, replica } = recordedPairForFile('changes', 'message.*');

const call = requestsTo(service);
const callReplica = requestsTo(replica);
const changesOf = async (user: TestUser, conversationId: string, query = 'after=0') => {
  const response = await call(user, 'GET', `/conversations/${conversationId}/changes?${query}`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json() as MessageChanges;
};
const sendText = async (user: TestUser, conversationId: string, body: string): Promise<Message> => {
  const response = await service.send(user, conversationId, { clientMessageId: clientId(), body });
  expect(response.statusCode, JSON.stringify(response.json())).toBe(201);
  return response.json();
};
const reactionUrl = (conversationId: string, seq: number, emoji: string) =>
  `/conversations/${conversationId}/messages/${seq}/reactions/${encodeURIComponent(emoji)}`;
/** Changes are numbered as they are announced, just after the change is answered. */
const numberedUpTo = async (user: TestUser, conversationId: string, count: number) => {
  await expect
    .poll(async () => (await changesOf(user, conversationId, 'after=0&limit=200')).changeSeq, {
      timeout: 10_000,
    })
    .toBe(count);
};

describe('the change cursor', () => {
  it('gives a reader who was away every edit, deletion and reaction since its cursor', async () => {
    const [ada, bob] = await Promise.all([makeUser(), makeUser()]);
    const group = await service.createGroup(ada, [bob]);
    const [first, second, third] = [
      await sendText(ada, group.id, 'first'),
      await sendText(ada, group.id, 'second'),
      await sendText(ada, group.id, 'third'),
    ] as [Message, Message, Message];
    // Bob loads the history, and keeps its change cursor.
    const loaded = (await call(bob, 'GET', `/messages?conversationId=${group.id}`)).json();
    expect(loaded.changeSeq).toBe(0);

    expect(
      (await call(ada, 'PATCH', `/conversations/${group.id}/messages/1`, { body: 'first, edited' }))
        .statusCode,
    ).toBe(200);
    await numberedUpTo(bob, group.id, 1);
    expect((await call(ada, 'DELETE', `/conversations/${group.id}/messages/2`)).statusCode).toBe(204);
    await numberedUpTo(bob, group.id, 2);
    expect((await call(ada, 'PUT', reactionUrl(group.id, 3, '🎉'))).statusCode).toBe(200);
    await numberedUpTo(bob, group.id, 3);
    // Another edit of the first: it comes once, where its latest change puts it.
    await call(ada, 'PATCH', `/conversations/${group.id}/messages/1`, { body: 'first, edited twice' });
    await numberedUpTo(bob, group.id, 4);

    const all = await changesOf(bob, group.id, `after=${loaded.changeSeq}`);
    expect(all.changeSeq).toBe(4);
    expect(all.hasMore).toBe(false);
    expect(all.messages.map((m) => m.id)).toEqual([second.id, third.id, first.id]);
    const [deleted, reacted, edited] = all.messages as [Message, Message, Message];
    expect(deleted).toMatchObject({ seq: 2, body: null, attachments: [] });
    expect(deleted.deletedAt).not.toBeNull();
    expect(reacted.reactions).toEqual([{ emoji: '🎉', userIds: [ada.id] }]);
    expect(edited).toMatchObject({ seq: 1, body: 'first, edited twice' });
    expect(edited.editedAt).not.toBeNull();

    // Paged: the cursor moves by the page, and says when more are left.
    const page = await changesOf(bob, group.id, 'after=0&limit=2');
    expect(page).toMatchObject({ changeSeq: 2, hasMore: true });
    expect(page.messages.map((m) => m.seq)).toEqual([1, 2]);
    const rest = await changesOf(bob, group.id, `after=${page.changeSeq}&limit=2`);
    expect(rest).toMatchObject({ changeSeq: 4, hasMore: false });
    expect(rest.messages.map((m) => m.seq)).toEqual([3, 1]);
    // At the head: nothing, and the cursor stays.
    expect(await changesOf(bob, group.id, 'after=4')).toEqual({ messages: [], changeSeq: 4, hasMore: false });
    // A history page now starts from the head.
    expect((await call(bob, 'GET', `/messages?conversationId=${group.id}`)).json().changeSeq).toBe(4);

    // The live events carry the same numbers.
    const announced = service.events.events
      .filter(
        (e) =>
          (e.data as { message?: Message; conversationId?: string }).message?.conversationId === group.id ||
          (e.data as { conversationId?: string }).conversationId === group.id,
      )
      .filter((e) => e.type !== 'message.created')
      .map((e) => [e.type, (e.data as { changeSeq: number }).changeSeq]);
    expect(announced).toEqual([
      ['message.updated', 1],
      ['message.deleted', 2],
      ['message.reaction', 3],
      ['message.updated', 4],
    ]);
  });

  it('refuses non-members, strangers, bad cursors and missing tokens', async () => {
    const [ada, bob, eve] = await Promise.all([makeUser(), makeUser(), makeUser()]);
    const direct = await service.createDirect(ada, bob);
    const url = `/conversations/${direct.id}/changes`;
    expect((await call(eve, 'GET', `${url}?after=0`)).statusCode).toBe(404);
    expect(
      (await call(ada, 'GET', `/conversations/${new Types.ObjectId()}/changes?after=0`)).statusCode,
    ).toBe(404);
    for (const query of [
      '',
      'after=-1',
      'after=x',
      'after=0&limit=0',
      'after=0&limit=201',
      'after=0&extra=1',
      'after[$gt]=0',
    ]) {
      const response = await call(ada, 'GET', `${url}?${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(response.json().error.code, query).toBe('invalid_request');
    }
    const anonymous = await service.app.inject({ method: 'GET', url: `${url}?after=0` });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().error.code).toBe('unauthorized');
  });

  const rounds = 10;
  it(`numbers racing changes from two processes without a gap or a loss (${rounds} rounds)`, async () => {
    const members = await Promise.all(Array.from({ length: 6 }, () => makeUser()));
    const [owner, ...others] = members as [TestUser, ...TestUser[]];
    for (let round = 0; round < rounds; round++) {
      const group = await service.createGroup(owner, others);
      const sent: Message[] = [];
      for (let i = 0; i < 3; i++) sent.push(await sendText(owner, group.id, `round ${round} message ${i}`));
      // Every member reacts to every message, and the owner edits each, all at once, half
      // of them through the other process.
      const changes = [
        ...members.flatMap((member, m) =>
          sent.map(
            (message) => () =>
              (m % 2 ? callReplica : call)(member, 'PUT', reactionUrl(group.id, message.seq, '👍')),
          ),
        ),
        ...sent.map(
          (message, i) => () =>
            (i % 2 ? callReplica : call)(
              owner,
              'PATCH',
              `/conversations/${group.id}/messages/${message.seq}`,
              {
                body: `edited ${round}`,
              },
            ),
        ),
      ];
      const answers = await Promise.all(changes.map((change) => change()));
      expect(answers.map((a) => a.statusCode)).toEqual(changes.map(() => 200));

      await numberedUpTo(owner, group.id, changes.length);
      const numbers = (
        await service.mongo
          .collection('message_changes')
          .find({ conversationId: new Types.ObjectId(group.id) })
          .toArray()
      )
        .map((change) => change.changeSeq as number)
        .sort((a, b) => a - b);
      expect(numbers, `round ${round}`).toEqual(changes.map((_, i) => i + 1));
      // Read from the start, every message is there as it is now: edited, with every reaction.
      const caughtUp = await changesOf(owner, group.id, 'after=0&limit=200');
      expect(caughtUp.messages).toHaveLength(sent.length);
      for (const message of caughtUp.messages) {
        expect(message.body).toBe(`edited ${round}`);
        expect(message.reactions[0]?.userIds.toSorted()).toEqual(members.map((m) => m.id).toSorted());
      }
    }
  });
});
