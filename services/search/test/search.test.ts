import type { Message, SearchHit } from '@palaver/contracts';
import { storedMessage } from '@palaver/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexRowOf } from '../src/store/search-index.ts';
import { makeUser, makeUsers, type SearchHarness, startSearch, type TestUser } from './search-harness.ts';

const [ada, bob, eve] = await makeUsers(3);
let h: SearchHarness;
let group: string;
let other: string;
const sent: Message[] = [];

const bodies = [
  'Let us meet at the Café tomorrow morning',
  'I love internationalization and its tooling',
  '我是中国人，我爱北京',
  '今天的猫很可爱',
  '東京タワーに行きました',
  'がっこうへいきます',
  'مرحبا، هذا كِتَابٌ جَدِيدٌ في المكتبة',
  'party time 🎉🎉 see you',
  'I ❤️ this song',
  'discount of 500% on everything',
  'file name report_2024.txt',
];

/** A message of Ada's in the group that a test publishes itself, as the message service would. */
const adasGroupMessage = (fields: Partial<Message>) =>
  storedMessage({ conversationId: group, senderId: ada.id, ...fields });
const texts = (hits: SearchHit[]) => hits.map((hit) => hit.snippet.text);
const marked = (hit: SearchHit) =>
  hit.snippet.highlights.map(({ start, end }) => hit.snippet.text.slice(start, end));
const find = async (user: TestUser, query: Record<string, string | number>) => {
  const response = await h.search(user, query);
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
};

beforeAll(async () => {
  h = await startSearch('search');
  group = (await h.createGroup(ada, [bob])).id;
  other = (await h.createGroup(eve, [ada])).id;
  for (const body of bodies) sent.push(await h.send(ada, group, body));
  sent.push(await h.send(bob, group, 'bob says internationalization is hard'));
  sent.push(await h.send(eve, other, 'eve writes about internationalization elsewhere'));
  // Everything above arrives through the broker from the real message service.
  await h.eventually(async () => {
    const [row] = await h.sql<{ count: number }[]>`select count(*)::int as count from search_messages`;
    expect(row?.count).toBe(sent.length);
  }, 10_000);
});
afterAll(async () => {
  await h?.close();
});

describe('what is found', () => {
  it('finds partial Latin words, whatever their case and accents', async () => {
    expect(texts((await find(ada, { q: 'nationaliz' })).results)).toHaveLength(3);
    const cafe = await find(ada, { q: 'cafe' });
    expect(texts(cafe.results)).toEqual([bodies[0]]);
    expect(marked(cafe.results[0] as SearchHit)).toEqual(['Café']);
    expect((await find(ada, { q: 'TOMORR morn' })).results).toHaveLength(1);
    // A short Latin word narrows a query that has a longer one.
    expect(texts((await find(ada, { q: 'at cafe' })).results)).toEqual([bodies[0]]);
    expect((await find(ada, { q: 'zz cafe' })).results).toEqual([]);
  });

  it('finds Chinese words of one, two and three characters inside sentences without spaces', async () => {
    for (const [q, index] of [
      ['中国', 2],
      ['北京', 2],
      ['猫', 3],
      ['中国人', 2],
      ['可爱', 3],
    ] as const) {
      const { results } = await find(ada, { q });
      expect(texts(results), q).toEqual([bodies[index]]);
      expect(marked(results[0] as SearchHit)).toEqual([q]);
    }
  });

  it('finds Japanese kanji, katakana and kana, keeping voiced kana apart', async () => {
    expect(texts((await find(ada, { q: '東京' })).results)).toEqual([bodies[4]]);
    expect(texts((await find(ada, { q: 'タワー' })).results)).toEqual([bodies[4]]);
    expect(texts((await find(ada, { q: 'がっこう' })).results)).toEqual([bodies[5]]);
    expect((await find(ada, { q: 'かっこう' })).results).toEqual([]);
  });

  it('finds Arabic with or without vowel marks, short words included', async () => {
    for (const q of ['كتاب', 'كِتَابٌ', 'جديد', 'في', 'مكتب']) {
      const { results } = await find(ada, { q });
      expect(texts(results), q).toEqual([bodies[6]]);
    }
    const [hit] = (await find(ada, { q: 'كتاب' })).results;
    expect(marked(hit as SearchHit)).toEqual(['كِتَابٌ']);
  });

  it('finds emoji, with or without a variation selector', async () => {
    const party = await find(ada, { q: '🎉' });
    expect(texts(party.results)).toEqual([bodies[7]]);
    expect(marked(party.results[0] as SearchHit)).toEqual(['🎉🎉']);
    expect(texts((await find(ada, { q: '❤️' })).results)).toEqual([bodies[8]]);
    expect(texts((await find(ada, { q: '❤' })).results)).toEqual([bodies[8]]);
  });

  it('takes %, _ and \\ as plain characters, never as patterns', async () => {
    expect(texts((await find(ada, { q: '500%' })).results)).toEqual([bodies[9]]);
    expect(texts((await find(ada, { q: 'report_2024' })).results)).toEqual([bodies[10]]);
    for (const q of ['rep_rt', 'report%2024', 'report\\2024', 'dis%count', '500%%']) {
      expect((await find(ada, { q })).results, q).toEqual([]);
    }
  });

  it('ranks word starts and short messages first, and says where the words are', async () => {
    const { results } = await find(ada, { q: 'internationalization' });
    expect(results.map((hit) => hit.messageId)).toEqual(
      [sent[11]?.id, sent[1]?.id, sent[12]?.id].filter(Boolean).slice(0, results.length),
    );
    for (const hit of results) {
      expect(hit.rank).toBeGreaterThan(0);
      expect(hit.rank).toBeLessThanOrEqual(1);
      expect(marked(hit)).toEqual(['internationalization']);
    }
    const ranks = results.map((hit) => hit.rank);
    expect([...ranks].sort((a, b) => b - a)).toEqual(ranks);
    const inside = await find(ada, { q: 'national' });
    const start = await find(ada, { q: 'internat' });
    expect(start.results[0]?.rank).toBeGreaterThan(inside.results[0]?.rank ?? 1);
    const [hit] = results;
    expect(hit).toMatchObject({ conversationId: group, seq: expect.any(Number), editedAt: null });
  });

  it('filters by conversation and sender', async () => {
    expect(
      (await find(ada, { q: 'internationalization', conversationId: other })).results.map((r) => r.senderId),
    ).toEqual([eve.id]);
    expect(
      (await find(ada, { q: 'internationalization', senderId: bob.id })).results.map((r) => r.senderId),
    ).toEqual([bob.id]);
    expect(
      (await find(ada, { q: 'internationalization', senderId: eve.id, conversationId: group })).results,
    ).toEqual([]);
  });
});

describe('who sees what', () => {
  it('shows nothing of conversations the caller is not in', async () => {
    const stranger = await makeUser();
    expect((await find(stranger, { q: 'internationalization' })).results).toEqual([]);
    expect((await find(bob, { q: 'internationalization' })).results.map((r) => r.conversationId)).toEqual([
      group,
      group,
    ]);
    expect((await find(bob, { q: 'elsewhere', conversationId: other })).results).toEqual([]);
  });

  it('a removed member loses results at once', async () => {
    const cid = (await h.createGroup(eve, [bob])).id;
    await h.send(eve, cid, 'zeppelin secret plans');
    await h.eventually(async () => expect((await find(bob, { q: 'zeppelin' })).results).toHaveLength(1));
    await h.removeMember(eve, cid, bob.id);
    expect((await find(bob, { q: 'zeppelin' })).results).toEqual([]);
    expect((await find(bob, { q: 'zeppelin', conversationId: cid })).results).toEqual([]);
    expect((await find(eve, { q: 'zeppelin' })).results).toHaveLength(1);
  });
});

describe('changes', () => {
  it('reflects an edit and a delete within a second', async () => {
    const message = await h.send(ada, group, 'original wording xylophone');
    await h.eventually(async () => expect((await find(bob, { q: 'xylophone' })).results).toHaveLength(1));
    let started = Date.now();
    await h.edit(ada, message, 'changed wording marimba');
    await h.eventually(async () => {
      expect((await find(bob, { q: 'xylophone' })).results).toEqual([]);
      const [hit] = (await find(bob, { q: 'marimba' })).results;
      expect(hit?.editedAt).not.toBeNull();
    }, 1000);
    expect(Date.now() - started).toBeLessThan(1000);
    started = Date.now();
    await h.remove(ada, message);
    await h.eventually(async () => expect((await find(bob, { q: 'marimba' })).results).toEqual([]), 1000);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('indexes a replayed snapshot (a message sent before the index existed), and an older one changes nothing', async () => {
    const snapshot = adasGroupMessage({
      id: 'b'.repeat(24),
      seq: 998,
      clientMessageId: 'from-before',
      body: 'archived narwhal',
      createdAt: '2025-06-01T00:00:00.000Z',
    });
    await h.broker.publish('message.snapshot', { message: snapshot });
    await h.eventually(async () => expect((await find(bob, { q: 'narwhal' })).results).toHaveLength(1));
    const edited = { ...snapshot, body: 'archived walrus', editedAt: '2025-06-02T00:00:00.000Z' };
    await h.broker.publish('message.updated', { message: edited, changeSeq: 1, memberIds: [] });
    await h.eventually(async () => expect((await find(bob, { q: 'walrus' })).results).toHaveLength(1));
    // A replay that read the message before that edit arrives late: the edit stays.
    await h.broker.publish('message.snapshot', { message: snapshot });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await find(bob, { q: 'narwhal' })).results).toEqual([]);
    expect((await find(bob, { q: 'walrus' })).results).toHaveLength(1);
  });

  it('is not undone by late or repeated events', async () => {
    const base = adasGroupMessage({
      id: 'a'.repeat(24),
      seq: 999,
      clientMessageId: 'late',
      body: 'first quokka',
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    const edited = { ...base, body: 'second wombat', editedAt: '2026-01-01T00:01:00.000Z' };
    const deleted = { ...edited, body: null, deletedAt: '2026-01-01T00:02:00.000Z' };
    await h.broker.publish('message.updated', { message: edited, changeSeq: 1, memberIds: [] });
    await h.broker.publish('message.created', { message: base, memberIds: [] });
    await h.eventually(async () => expect((await find(ada, { q: 'wombat' })).results).toHaveLength(1));
    await h.index.apply([indexRowOf(base)]);
    expect((await find(ada, { q: 'quokka' })).results).toEqual([]);
    await h.index.apply([indexRowOf(deleted)]);
    await h.index.apply([indexRowOf(edited)]);
    await h.index.apply([indexRowOf(base)]);
    expect((await find(ada, { q: 'wombat' })).results).toEqual([]);
    expect((await find(ada, { q: 'quokka' })).results).toEqual([]);
  });
});

describe('paging', () => {
  it('pages through every match once, in rank order', async () => {
    const cid = (await h.createGroup(ada, [bob])).id;
    const words = Array.from({ length: 25 }, (_, i) => `paging${'x'.repeat(i)} kumquat`);
    for (const body of words) await h.send(ada, cid, body);
    await h.eventually(async () =>
      expect((await find(ada, { q: 'kumquat', limit: 50 })).results).toHaveLength(25),
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await find(ada, { q: 'kumquat', limit: 10, ...(cursor ? { cursor } : {}) });
      seen.push(...page.results.map((hit) => hit.messageId));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(25);
    const all = (await find(ada, { q: 'kumquat', limit: 50 })).results.map((hit) => hit.messageId);
    expect(seen).toEqual(all);
  });
});

describe('refusals', () => {
  it('answers bad input with 400 in the error shape', async () => {
    for (const query of [
      {} as Record<string, string | number>,
      { q: '' },
      { q: 'x'.repeat(201) },
      { q: 'bad\u0000nul' },
      { q: 'tab\there' },
      { q: 'bidi\u202Eoverride' },
      { q: '%' },
      { q: '_' },
      { q: '\\' },
      { q: '% _ \\' },
      { q: 'a b c d e f g h i' },
      { q: 'ok' },
      { q: 'cafe', limit: 'ten' },
      { q: 'cafe', limit: 0 },
      { q: 'cafe', limit: 51 },
      { q: 'cafe', conversationId: 'nothex' },
      { q: 'cafe', senderId: "1' or '1'='1" },
      { q: 'cafe', cursor: 'garbage' },
      { q: 'cafe', extra: 'field' },
    ]) {
      const response = await h.search(ada, query);
      expect(response.statusCode, JSON.stringify(query)).toBe(400);
      expect(response.json().error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    }
  });

  it('refuses a missing, malformed or revoked token with 401', async () => {
    expect((await h.search(undefined, { q: 'cafe' })).statusCode).toBe(401);
    const forged = await h.app.inject({ url: '/search?q=cafe', headers: { authorization: 'Bearer a.b.c' } });
    expect(forged.statusCode).toBe(401);
    expect(forged.json().error.code).toBe('unauthorized');
    const user = await makeUser();
    await h.revocations.list.revoke(user.sessionId, 900);
    const revoked = await h.search(user, { q: 'cafe' });
    expect(revoked.statusCode).toBe(401);
    expect(revoked.json().error).toMatchObject({ code: expect.any(String) });
  });

  it('serves health, readiness and metrics', async () => {
    expect((await h.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await h.app.inject({ url: '/readyz' })).json()).toMatchObject({ status: 'ready' });
    expect((await h.app.inject({ url: '/metrics' })).body).toContain('search_indexed_events_total');
  });
});
