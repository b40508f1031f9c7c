import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientId, type MessageHarness, makeUsers, startMessage, type TestUser } from './message-harness.ts';

const [ada, bob] = await makeUsers(2);
let service: MessageHarness;
let chatId: string;
beforeAll(async () => {
  service = await startMessage('history');
  chatId = (await service.createDirect(ada, bob)).id;
  for (let i = 1; i <= 57; i++) {
    await service.send(i % 2 ? ada : bob, chatId, { clientMessageId: clientId(), body: `message ${i}` });
  }
});
afterAll(() => service.close());

const history = (query: string, user = ada) =>
  service.app.inject({
    method: 'GET',
    url: `/messages?conversationId=${chatId}&${query}`,
    headers: user.headers,
  });

describe('GET /messages', () => {
  it('pages backwards with before: newest first, nothing skipped or repeated', async () => {
    const seen: number[] = [];
    let before: number | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = (await history(`limit=10${before ? `&before=${before}` : ''}`)).json();
      const seqs = page.messages.map((m: { seq: number }) => m.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
      seen.push(...seqs);
      before = seqs.at(-1);
      if (!page.hasMore) break;
    }
    expect(seen).toEqual(Array.from({ length: 57 }, (_, i) => 57 - i));
  });

  it('pages forwards with after: oldest first, nothing skipped or repeated', async () => {
    const seen: number[] = [];
    let after = 0;
    for (let pages = 0; pages < 10; pages++) {
      const page = (await history(`limit=25&after=${after}`)).json();
      seen.push(...page.messages.map((m: { seq: number }) => m.seq));
      after = seen.at(-1) ?? after;
      if (!page.hasMore) break;
    }
    expect(seen).toEqual(Array.from({ length: 57 }, (_, i) => i + 1));
  });

  it('returns what was missed after a seq (the sync path)', async () => {
    const page = (await history('after=54')).json();
    expect(page.messages.map((m: { body: string }) => m.body)).toEqual([
      'message 55',
      'message 56',
      'message 57',
    ]);
    expect(page.hasMore).toBe(false);
  });

  it.each([
    'limit=101',
    'limit=0',
    'before=0',
    'after=-1',
    'before=abc',
    'before=5&after=1',
    'conversationId=nope',
  ])('rejects %s with 400', async (query) => {
    const response = await service.app.inject({
      method: 'GET',
      url: query.startsWith('conversationId')
        ? `/messages?${query}`
        : `/messages?conversationId=${chatId}&${query}`,
      headers: ada.headers,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('invalid_request');
  });
});

describe('edit and delete', () => {
  /** PATCHes the message at `url` as `user`, through `via` (this file's service or a replica of it). */
  const edit = (url: string, user: TestUser, payload: object, via = service) =>
    via.app.inject({ method: 'PATCH', url, headers: user.headers, payload });
  const remove = (url: string, user: TestUser) =>
    service.app.inject({ method: 'DELETE', url, headers: user.headers });

  it('lets the sender edit, with editedAt, and nobody else', async () => {
    const sent = (await service.send(ada, chatId, { clientMessageId: clientId(), body: 'tpyo' })).json();
    const url = `/conversations/${chatId}/messages/${sent.seq}`;
    const edited = await edit(url, ada, { body: 'typo' });
    expect(edited.statusCode).toBe(200);
    expect(edited.json()).toMatchObject({ seq: sent.seq, body: 'typo', editedAt: expect.any(String) });
    const byOther = await edit(url, bob, { body: 'mine' });
    expect(byOther.statusCode).toBe(403);
    expect(byOther.json().error.code).toBe('forbidden');
  });

  it('deletes to a tombstone: seq kept, content gone, no further edits', async () => {
    const sent = (await service.send(bob, chatId, { clientMessageId: clientId(), body: 'secret' })).json();
    const url = `/conversations/${chatId}/messages/${sent.seq}`;
    expect((await remove(url, ada)).statusCode).toBe(403);
    expect((await remove(url, bob)).statusCode).toBe(204);
    const page = (await history(`after=${sent.seq - 1}&limit=1`)).json();
    expect(page.messages[0]).toMatchObject({
      seq: sent.seq,
      body: null,
      attachments: [],
      deletedAt: expect.any(String),
    });
    expect((await edit(url, bob, { body: 'back' })).json().error.code).toBe('message_deleted');
  });

  it('keeps a delete that races an edit of the same message from another replica (20 rounds)', async () => {
    // The store does not isolate updates: an edit that read the message before the delete
    // wrote its tombstone can write the body back. The delete must win every time.
    const replica = await startMessage('history', { sameAs: service });
    try {
      for (let round = 0; round < 20; round++) {
        const sent = (await service.send(bob, chatId, { clientMessageId: clientId(), body: 'draft' })).json();
        const url = `/conversations/${chatId}/messages/${sent.seq}`;
        const [edited, removal] = await Promise.all([
          edit(url, bob, { body: `edit ${round}` }, replica),
          remove(url, bob),
        ]);
        expect(removal.statusCode).toBe(204);
        expect([200, 409]).toContain(edited.statusCode);
        const stored = (await history(`after=${sent.seq - 1}&limit=1`)).json().messages[0];
        expect(stored, `round ${round}`).toMatchObject({
          seq: sent.seq,
          body: null,
          deletedAt: expect.any(String),
        });
      }
    } finally {
      await replica.close();
    }
  }, 60_000);

  it('is 404 for an unknown seq and 400 for a bad one or a bad body', async () => {
    const missing = await edit(`/conversations/${chatId}/messages/9999`, ada, { body: 'x' });
    expect(missing.statusCode).toBe(404);
    for (const [url, payload] of [
      [`/conversations/${chatId}/messages/0`, { body: 'x' }],
      [`/conversations/${chatId}/messages/abc`, { body: 'x' }],
      [`/conversations/${chatId}/messages/1`, { body: '' }],
      [`/conversations/${chatId}/messages/1`, { body: 'x'.repeat(4001) }],
    ] as const) {
      expect((await edit(url, ada, payload)).statusCode).toBe(400);
    }
  });
});
