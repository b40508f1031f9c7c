import { type EventRecorder, recordEvents } from '@palaver/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthHarness, bearer, register, startAuth, uniqueName } from './auth-harness.ts';

let auth: AuthHarness;
let events: EventRecorder;
let token: string;
let byDisplayName: string;
const prefix = uniqueName('pfx');
beforeAll(async () => {
  auth = await startAuth('users');
  events = await recordEvents(auth.env.amqpUrl, auth.env.exchange, 'user.*');
  token = (await register(auth)).accessToken;
  for (let i = 0; i < 7; i++) await register(auth, { username: `${prefix}${i}`, displayName: `Member ${i}` });
  byDisplayName = (
    await register(auth, { username: uniqueName('other'), displayName: `${prefix.toUpperCase()} By Name` })
  ).user.username;
});
afterAll(async () => {
  await events.close();
  await auth.close();
});

const get = (url: string, accessToken = token) =>
  auth.app.inject({ method: 'GET', url, headers: bearer(accessToken) });

describe('GET /users', () => {
  it('finds by username or display-name prefix, case-insensitively', async () => {
    const response = await get(`/users?q=${prefix.toUpperCase()}&limit=50`);
    expect(response.statusCode).toBe(200);
    const { users, nextCursor } = response.json();
    expect(users).toHaveLength(8);
    expect(nextCursor).toBeNull();
    expect(users.map((u: { username: string }) => u.username)).toEqual(
      [...users.map((u: { username: string }) => u.username)].sort(),
    );
  });

  it('pages with a cursor, never skipping or repeating anyone', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `/users?q=${prefix}&limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await get(query)).json();
      seen.push(...page.users.map((u: { username: string }) => u.username));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([byDisplayName, ...Array.from({ length: 7 }, (_, i) => `${prefix}${i}`)]);
  });

  it('treats regex characters in q literally', async () => {
    const response = await get('/users?q=.*');
    expect(response.statusCode).toBe(200);
    expect(response.json().users).toEqual([]);
  });

  it('returns public profiles only', async () => {
    const response = await get(`/users?q=${prefix}`);
    for (const user of response.json().users) {
      expect(Object.keys(user).sort()).toEqual(['avatar', 'createdAt', 'displayName', 'id', 'username']);
    }
    expect(response.body).not.toMatch(/password|argon2|token/i);
  });

  it.each([
    ['limit=0'],
    ['limit=51'],
    ['limit=abc'],
    ['limit=1.5'],
    [`q=${'x'.repeat(65)}`],
    ['cursor=%24gt'],
    ['q[$gt]='],
    ['q=%00'],
    ['q=ada%00'],
    ['q=%1B%5B31m'],
    ['q=%7F'],
    ['unknown=1'],
  ])('rejects %s with 400', async (query) => {
    const response = await get(`/users?${query}`);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('invalid_request');
  });

  it('requires authentication', async () => {
    expect((await auth.app.inject({ method: 'GET', url: '/users' })).statusCode).toBe(401);
  });
});

describe('GET /users/:id', () => {
  it('returns the public profile', async () => {
    const { user } = await register(auth, { displayName: 'Grace' });
    const response = await get(`/users/${user.id}`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual(user);
  });

  it('is 404 for an unknown id and 400 for a malformed one', async () => {
    expect((await get(`/users/${'0'.repeat(24)}`)).json().error.code).toBe('not_found');
    expect((await get('/users/not-an-id')).statusCode).toBe(400);
    expect((await get('/users/%7B%22%24gt%22%3A%22%22%7D')).statusCode).toBe(400);
  });
});

describe('POST /users/lookup', () => {
  const lookup = (body: unknown, accessToken = token) =>
    auth.app.inject({
      method: 'POST',
      url: '/users/lookup',
      headers: bearer(accessToken),
      payload: body as object,
    });
  /** The ids of the profiles a lookup found, sorted. */
  const foundIds = (response: { json: () => { users: Array<{ id: string }> } }) =>
    response
      .json()
      .users.map((user) => user.id)
      .sort();

  it('returns the profiles of the ids that are people and leaves the others out', async () => {
    const [{ user: grace }, { user: linus }] = [await register(auth), await register(auth)];
    const response = await lookup({ ids: [grace.id, `${'0'.repeat(23)}1`, linus.id] });
    expect(response.statusCode).toBe(200);
    expect(foundIds(response)).toEqual([grace.id, linus.id].sort());
    expect(response.json().users[0]).not.toHaveProperty('passwordHash');
  });

  it('resolves usernames case-insensitively (the mentions of a message), leaving unknown ones out', async () => {
    const [{ user: grace }, { user: linus }] = [await register(auth), await register(auth)];
    const response = await lookup({
      usernames: [grace.username.toUpperCase(), 'nobody_here'],
      ids: [linus.id],
    });
    expect(response.statusCode).toBe(200);
    expect(foundIds(response)).toEqual([grace.id, linus.id].sort());
  });

  it('refuses malformed, empty, repeated, oversized or injected id lists, and callers without a token', async () => {
    for (const body of [
      {},
      { usernames: [] },
      { usernames: ['a b'] },
      { usernames: [{ $ne: '' }] },
      { usernames: Array.from({ length: 21 }, (_, i) => `user${i}`) },
      { ids: [] },
      { ids: ['nope'] },
      { ids: [{ $gt: '' }] },
      { ids: ['a'.repeat(24), 'a'.repeat(24)] },
      { ids: Array.from({ length: 1001 }, (_, i) => i.toString(16).padStart(24, '0')) },
      { ids: ['a'.repeat(24)], extra: 1 },
    ]) {
      const response = await lookup(body);
      expect(response.statusCode, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(response.json().error.code).toBe('invalid_request');
    }
    const anonymous = await auth.app.inject({
      method: 'POST',
      url: '/users/lookup',
      payload: { ids: ['a'.repeat(24)] },
    });
    expect(anonymous.statusCode).toBe(401);
  });
});

describe('/auth/me', () => {
  it('PATCH renames the caller, trimmed, and GET shows it', async () => {
    const account = await register(auth);
    const patch = await auth.app.inject({
      method: 'PATCH',
      url: '/auth/me',
      headers: bearer(account.accessToken),
      payload: { displayName: '  Ada L.  ' },
    });
    expect(patch.statusCode).toBe(200);
    expect(patch.json()).toMatchObject({ id: account.user.id, displayName: 'Ada L.' });
    expect((await get('/auth/me', account.accessToken)).json().displayName).toBe('Ada L.');
    // Searchable under the new name.
    expect(
      (await get('/users?q=ada%20l', account.accessToken)).json().users.map((u: { id: string }) => u.id),
    ).toContain(account.user.id);
    // Announced, so the people who see Ada get the new name live.
    const announced = await events.waitFor(
      (e) => e.type === 'user.updated' && (e.data as { user: { id: string } }).user.id === account.user.id,
    );
    expect(announced.data).toEqual({ user: patch.json() });
  });

  it.each([
    [{ displayName: '' }],
    [{ displayName: 'tab\there' }],
    [{ displayName: 7 }],
    [{ displayName: 'ok', username: 'hijack' }],
    [{ username: 'hijack' }],
  ])('PATCH rejects %j with 400 and changes nothing', async (payload) => {
    const account = await register(auth, { displayName: 'Unchanged' });
    const response = await auth.app.inject({
      method: 'PATCH',
      url: '/auth/me',
      headers: bearer(account.accessToken),
      payload,
    });
    expect(response.statusCode).toBe(400);
    expect((await get('/auth/me', account.accessToken)).json()).toEqual(account.user);
  });
});
