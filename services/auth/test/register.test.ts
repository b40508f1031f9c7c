import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthHarness, register, startAuth, uniqueName } from './auth-harness.ts';

let auth: AuthHarness;
beforeAll(async () => {
  auth = await startAuth('register');
});
afterAll(() => auth.close());

const post = (payload: unknown, headers: Record<string, string> = {}) =>
  auth.app.inject({
    method: 'POST',
    url: '/auth/register',
    headers,
    ...(typeof payload === 'string' ? { body: payload } : { payload: payload as object }),
  });

const valid = () => ({ username: uniqueName(), password: 'long enough password', displayName: 'Ada' });

describe('POST /auth/register', () => {
  it('creates the account and returns the public profile with a token pair', async () => {
    const body = valid();
    const response = await post(body);
    expect(response.statusCode).toBe(201);
    const result = response.json();
    expect(result.user).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{24}$/),
      username: body.username,
      displayName: 'Ada',
      avatar: null,
      createdAt: expect.any(String),
    });
    expect(result.accessToken.split('.')).toHaveLength(3);
    expect(result.refreshToken.length).toBeGreaterThanOrEqual(40);
    expect(result.expiresIn).toBe(900);
    expect(response.body).not.toMatch(/passwordHash|argon2/);
  });

  it('stores the password as an argon2id hash, never in clear', async () => {
    const body = valid();
    await post(body);
    const stored = await auth.mongo.collection('users').findOne({ username: body.username });
    expect(stored?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(JSON.stringify(stored)).not.toContain(body.password);
  });

  it('treats usernames case-insensitively: 409 username_taken', async () => {
    const name = uniqueName('Case');
    expect((await post({ ...valid(), username: name })).statusCode).toBe(201);
    const again = await post({ ...valid(), username: name.toUpperCase() });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toEqual({ error: { code: 'username_taken', message: 'That username is taken' } });
  });

  it('lets exactly one of several concurrent registrations of a name win', async () => {
    const name = uniqueName('race');
    const results = await Promise.all(Array.from({ length: 5 }, () => post({ ...valid(), username: name })));
    const statuses = results.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409]);
  });

  it('trims the display name and accepts any script and emoji', async () => {
    const response = await post({ ...valid(), displayName: '  Zoë 张伟 👩🏽‍💻  ' });
    expect(response.statusCode).toBe(201);
    expect(response.json().user.displayName).toBe('Zoë 张伟 👩🏽‍💻');
  });

  const invalid: Array<[string, unknown]> = [
    ['missing password', { username: uniqueName(), displayName: 'A' }],
    ['missing everything', {}],
    ['an extra field', { ...valid(), isAdmin: true }],
    ['a numeric password', { ...valid(), password: 12345678 }],
    ['a username array', { ...valid(), username: ['abc'] }],
    ['operator injection in username', { ...valid(), username: { $gt: '' } }],
    ['a 2-character username', { ...valid(), username: 'ab' }],
    ['a 33-character username', { ...valid(), username: 'a'.repeat(33) }],
    ['a username with a space', { ...valid(), username: 'ab cd' }],
    ['a username with a slash', { ...valid(), username: 'ab/cd' }],
    ['a non-ASCII username', { ...valid(), username: 'zoë' }],
    ['a 7-character password', { ...valid(), password: 'short12' }],
    ['a 257-character password', { ...valid(), password: 'p'.repeat(257) }],
    ['an empty display name', { ...valid(), displayName: '' }],
    ['a blank display name', { ...valid(), displayName: '   ' }],
    ['a 65-character display name', { ...valid(), displayName: 'x'.repeat(65) }],
    ['a control character', { ...valid(), displayName: 'bell\u0007' }],
    ['a newline', { ...valid(), displayName: 'two\nlines' }],
    ['a bidi override', { ...valid(), displayName: 'evil\u202Egnp.exe' }],
    ['null', null],
    ['an array body', [valid()]],
  ];
  it.each(invalid)('rejects %s with 400 invalid_request', async (_label, body) => {
    const response = await post(JSON.stringify(body), { 'content-type': 'application/json' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('invalid_request');
    expect(typeof response.json().error.message).toBe('string');
  });

  it('names the offending field in details', async () => {
    const response = await post({ ...valid(), password: 'short' });
    expect(response.json().error.details).toEqual([
      expect.objectContaining({ field: 'body/password', message: expect.stringContaining('8') }),
    ]);
  });

  it('rejects malformed JSON with 400 and the error shape', async () => {
    const response = await post('{"username": "abc",', { 'content-type': 'application/json' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('invalid_request');
  });

  it('rejects an oversize body with 413', async () => {
    const response = await post({ ...valid(), displayName: 'x'.repeat(70_000) });
    expect(response.statusCode).toBe(413);
    expect(response.json().error.code).toBe('payload_too_large');
  });

  it('rejects other content types with 415, text/plain holding JSON included', async () => {
    const response = await post('username=abc', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(response.statusCode).toBe(415);
    expect(response.json().error.code).toBe('unsupported_media_type');
    const text = await post(JSON.stringify(valid()), { 'content-type': 'text/plain' });
    expect(text.statusCode).toBe(415);
    expect(text.json().error.code).toBe('unsupported_media_type');
  });

  it('leaves no account behind for a rejected registration', async () => {
    const body = { ...valid(), password: 'short' };
    await post(body);
    expect(await auth.mongo.collection('users').countDocuments({ username: body.username })).toBe(0);
  });

  it('still works for the next caller after every bad request above', async () => {
    const { user } = await register(auth);
    expect(user.id).toMatch(/^[0-9a-f]{24}$/);
  });
});
