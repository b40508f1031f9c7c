import type { Message, MessageChanges, ThreadPage } from '@palaver/contracts';
import { maxQuoteExcerptLength } from '@palaver/contracts/limits';
import { Types } from 'mongoose';
import { describe, expect, it } from 'vitest';
import {
  clientId,
  type MessageHarness,
  makeUser,
  recordedPairForFile,
  requestsTo,
  type TestUser,
} from './message-harness.ts';

// Replies quoting a message, and threads: replies grouped under a root, with their own
// gapless places, a summary on the root, live events and the change cursor.
const { service, replica } = recordedPairForFile('threads', 'message.*');

const call = requestsTo(service);
const send = async (
  user: TestUser,
  conversationId: string,
  fields: object,
  via: MessageHarness = service,
) => {
  const response = await via.send(user, conversationId, { clientMessageId: clientId(), ...fields });
  expect(response.statusCode, JSON.stringify(response.json())).toBe(201);
  return response.json() as Message;
};
const historyOf = async (user: TestUser, conversationId: string) => {
  const response = await call(user, 'GET', `/messages?conversationId=${conversationId}`);
  expect(response.statusCode, response.body).toBe(200);
  return (response.json().messages as Message[]).toReversed();
};
const threadOf = async (user: TestUser, conversationId: string, seq: number, query = '') => {
  const response = await call(user, 'GET', `/conversations/${conversationId}/threads/${seq}?${query}`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json() as ThreadPage;
};
const bySeq = (messages: Message[], seq: number) => messages.find((m) => m.seq === seq) as Message;

describe('replies', () => {
  it('quote the original as it is now: edited, then a tombstone once deleted', async () => {
    const [ada, bob] = await Promise.all([makeUser(), makeUser()]);
    const group = await service.createGroup(ada, [bob]);
    const original = await send(ada, group.id, { body: 'Lunch at noon?' });
    const reply = await send(bob, group.id, { body: 'Yes!', replyToSeq: original.seq });
    expect(reply.replyTo).toEqual({
      messageId: original.id,
      seq: original.seq,
      senderId: ada.id,
      kind: 'text',
      excerpt: 'Lunch at noon?',
      attachmentCount: 0,
      deleted: false,
    });
    // The live event carries the quote too.
    const created = await service.events.waitFor(
      (e) => e.type === 'message.created' && (e.data as { message: Message }).message.id === reply.id,
    );
    expect((created.data as { message: Message }).message.replyTo?.excerpt).toBe('Lunch at noon?');

    await call(ada, 'PATCH', `/conversations/${group.id}/messages/${original.seq}`, {
      body: 'Lunch at one?',
    });
    expect(bySeq(await historyOf(bob, group.id), reply.seq).replyTo?.excerpt).toBe('Lunch at one?');

    expect(
      (await call(ada, 'DELETE', `/conversations/${group.id}/messages/${original.seq}`)).statusCode,
    ).toBe(204);
    const quote = bySeq(await historyOf(bob, group.id), reply.seq).replyTo;
    expect(quote).toMatchObject({ seq: original.seq, senderId: ada.id, deleted: true, excerpt: null });
    // A deleted message cannot be replied to.
    const late = await service.send(bob, group.id, { clientMessageId: clientId(), body: 'x', replyToSeq: 1 });
    expect(late.statusCode).toBe(409);
    expect(late.json().error?.code).toBe('message_deleted');
  });

  it('cut a long quote at whole characters', async () => {
    const [ada, bob] = await Promise.all([makeUser(), makeUser()]);
    const direct = await service.createDirect(ada, bob);
    // An emoji (two UTF-16 units) straddles the limit: it is left out, not split.
    const long = `${'a'.repeat(maxQuoteExcerptLength - 1)}😀 and more`;
    const original = await send(ada, direct.id, { body: long });
    const reply = await send(bob, direct.id, { body: 'long!', replyToSeq: original.seq });
    expect(reply.replyTo?.excerpt).toBe('a'.repeat(maxQuoteExcerptLength - 1));
  });

  it('refuse what cannot be quoted: a missing seq, another type, a system line', async () => {
    const [ada, bob, eve] = await Promise.all([makeUser(), makeUser(), makeUser()]);
    const group = await service.createGroup(ada, [bob]);
    await send(ada, group.id, { body: 'hello' });
    const cases: Array<[object, number, string]> = [
      [{ replyToSeq: 99 }, 404, 'not_found'],
      [{ replyToSeq: 0 }, 400, 'invalid_request'],
      [{ replyToSeq: '1' }, 400, 'invalid_request'],
      [{ replyToSeq: { $gt: 0 } }, 400, 'invalid_request'],
      [{ threadRootSeq: 99 }, 404, 'not_found'],
      [{ threadRootSeq: -1 }, 400, 'invalid_request'],
    ];
    for (const [fields, status, code] of cases) {
      const response = await service.send(bob, group.id, {
        clientMessageId: clientId(),
        body: 'x',
        ...fields,
      });
      expect(response.statusCode, JSON.stringify(fields)).toBe(status);
      expect(response.json().error?.code, JSON.stringify(fields)).toBe(code);
    }
    // A stranger learns nothing of the conversation.
    const stranger = await service.send(eve, group.id, {
      clientMessageId: clientId(),
      body: 'x',
      replyToSeq: 1,
    });
    expect(stranger.statusCode).toBe(404);
  });
});

describe('threads', () => {
  it('group replies under the root, with a summary on it, paged by place, announced live', async () => {
    const [ada, bob, cy] = await Promise.all([makeUser(), makeUser(), makeUser()]);
    const group = await service.createGroup(ada, [bob, cy]);
    const root = await send(ada, group.id, { body: 'Plan for Friday' });
    await send(ada, group.id, { body: 'unrelated' });
    const first = await send(bob, group.id, { body: 'I bring snacks', threadRootSeq: root.seq });
    expect(first).toMatchObject({ threadRootSeq: root.seq, thread: null });
    await send(cy, group.id, { body: 'I bring drinks', threadRootSeq: root.seq });
    // Replying to a reply posts in its root's thread.
    const third = await send(ada, group.id, { body: 'Great', threadRootSeq: first.seq });
    expect(third.threadRootSeq).toBe(root.seq);

    const history = await historyOf(cy, group.id);
    const shownRoot = bySeq(history, root.seq);
    expect(shownRoot.thread).toEqual({
      replyCount: 3,
      lastReplyAt: third.createdAt,
      participantIds: [bob.id, cy.id, ada.id],
    });
    // The replies are messages of the conversation too; only the root carries a summary.
    expect(history.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(history.filter((m) => m.thread !== null).map((m) => m.seq)).toEqual([root.seq]);

    const whole = await threadOf(cy, group.id, root.seq);
    expect(whole.root.id).toBe(root.id);
    expect(whole.root.thread?.replyCount).toBe(3);
    expect(whole.replies.map((m) => m.body)).toEqual(['I bring snacks', 'I bring drinks', 'Great']);
    expect(whole).toMatchObject({ from: 1, hasMore: false });
    // Paged: the latest page, then before it; or forward from a place.
    const latest = await threadOf(cy, group.id, root.seq, 'limit=2');
    expect(latest).toMatchObject({ from: 2, hasMore: true });
    expect(latest.replies.map((m) => m.body)).toEqual(['I bring drinks', 'Great']);
    const before = await threadOf(cy, group.id, root.seq, 'limit=2&before=2');
    expect(before).toMatchObject({ from: 1, hasMore: false });
    expect(before.replies.map((m) => m.body)).toEqual(['I bring snacks']);
    const forward = await threadOf(cy, group.id, root.seq, 'after=1&limit=1');
    expect(forward).toMatchObject({ from: 2, hasMore: true });
    expect(forward.replies.map((m) => m.body)).toEqual(['I bring drinks']);
    // A message without replies has an empty thread.
    expect(await threadOf(cy, group.id, 2)).toMatchObject({ replies: [], hasMore: false });

    // Each reply announced the root's summary as it then was, with a change number, so a
    // client that was away finds the root among the changes.
    await expect
      .poll(
        () =>
          service.events.events
            .filter((e) => e.type === 'message.thread' && (e.data as { rootId: string }).rootId === root.id)
            .map((e) => (e.data as { thread: { replyCount: number } }).thread.replyCount),
        { timeout: 10_000 },
      )
      .toEqual([1, 2, 3]);
    const changes = (
      await call(cy, 'GET', `/conversations/${group.id}/changes?after=0`)
    ).json() as MessageChanges;
    expect(changes.messages.map((m) => [m.seq, m.thread?.replyCount])).toEqual([[root.seq, 3]]);

    // A deleted root keeps its thread under its tombstone.
    await call(ada, 'DELETE', `/conversations/${group.id}/messages/${root.seq}`);
    const orphaned = await threadOf(bob, group.id, root.seq);
    expect(orphaned.root).toMatchObject({ body: null, thread: { replyCount: 3 } });
    expect(orphaned.replies).toHaveLength(3);
  });

  it('refuse strangers, replies as roots, both cursors and bad input', async () => {
    const [ada, bob, eve] = await Promise.all([makeUser(), makeUser(), makeUser()]);
    const direct = await service.createDirect(ada, bob);
    const root = await send(ada, direct.id, { body: 'root' });
    const reply = await send(bob, direct.id, { body: 'reply', threadRootSeq: root.seq });
    const url = (seq: number | string, query = '') => `/conversations/${direct.id}/threads/${seq}?${query}`;
    expect((await call(eve, 'GET', url(root.seq))).statusCode).toBe(404);
    expect((await call(ada, 'GET', `/conversations/${new Types.ObjectId()}/threads/1`)).statusCode).toBe(404);
    const ofReply = await call(ada, 'GET', url(reply.seq));
    expect(ofReply.statusCode).toBe(404);
    expect(ofReply.json().error.code).toBe('not_found');
    expect((await call(ada, 'GET', url(99))).statusCode).toBe(404);
    for (const [seq, query] of [
      [0, ''],
      ['x', ''],
      [1, 'before=2&after=0'],
      [1, 'limit=0'],
      [1, 'limit=101'],
      [1, 'after=-1'],
      [1, 'extra=1'],
      [1, 'after[$gt]=0'],
    ] as const) {
      const response = await call(ada, 'GET', url(seq, query));
      expect(response.statusCode, `${seq} ${query}`).toBe(400);
      expect(response.json().error.code, `${seq} ${query}`).toBe('invalid_request');
    }
    expect((await service.app.inject({ method: 'GET', url: url(root.seq) })).statusCode).toBe(401);
  });

  const rounds = 5;
  it(`places racing replies and retries from two processes once each, without a gap (${rounds} rounds)`, async () => {
    const members = await Promise.all(Array.from({ length: 4 }, () => makeUser()));
    const [owner, ...others] = members as [TestUser, ...TestUser[]];
    for (let round = 0; round < rounds; round++) {
      const group = await service.createGroup(owner, others);
      const root = await send(owner, group.id, { body: `root ${round}` });
      // Every member replies three times at once, half through the other process, and each
      // reply is sent twice (a retry racing its original).
      const sends = members.flatMap((member, m) =>
        [0, 1, 2].map((i) => ({
          member,
          body: { clientMessageId: clientId(), body: `${m}.${i}`, threadRootSeq: root.seq },
        })),
      );
      const answers = await Promise.all(
        sends.flatMap(({ member, body }, i) => [
          service.send(member, group.id, body),
          (i % 2 ? replica : service).send(member, group.id, body),
        ]),
      );
      expect(
        answers.every((a) => a.statusCode === 200 || a.statusCode === 201),
        `round ${round}`,
      ).toBe(true);

      const places = await service.mongo
        .collection('thread_replies')
        .find({ rootId: new Types.ObjectId(root.id) })
        .toArray();
      expect(places.map((p) => p.place as number).sort((a, b) => a - b)).toEqual(sends.map((_, i) => i + 1));
      expect(new Set(places.map((p) => String(p.messageId))).size).toBe(sends.length);
      const thread = await threadOf(owner, group.id, root.seq, 'limit=100');
      expect(thread.replies.map((m) => m.body).toSorted()).toEqual(sends.map((s) => s.body.body).toSorted());
      expect(thread.root.thread?.replyCount).toBe(sends.length);
      expect(thread.root.thread?.participantIds.toSorted()).toEqual(members.map((m) => m.id).toSorted());
    }
  });
});
