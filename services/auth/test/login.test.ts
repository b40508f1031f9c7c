import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthHarness, register, startAuth, uniqueName } from './auth-harness.ts';

let auth: AuthHarness;
let replica: AuthHarness;
beforeAll(async () => {
  auth = await startAuth('login', { env: { LOGIN_RATE_LIMIT: '4', LOGIN_ADDRESS_FAILURE_LIMIT: '6' } });
  // A second replica on the same database and Redis: limits must be shared.
  replica = await startAuth('login', {
    sameAs: auth,
    env: { LOGIN_RATE_LIMIT: '4', LOGIN_ADDRESS_FAILURE_LIMIT: '6' },
  });
});
afterAll(async () => {
  await replica.close();
  await auth.close();
});

const login = (app: AuthHarness, payload: unknown, ip = '127.0.0.1') =>
  app.app.inject({ method: 'POST', url: '/auth/login', payload: payload as object, remoteAddress: ip });

describe('POST /auth/login', () => {
  it('returns the profile and a new token pair', async () => {
    const account = await register(auth);
    const response = await login(auth, { username: account.user.username, password: account.password });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.user).toEqual(account.user);
    expect(body.accessToken).not.toBe(account.accessToken);
    expect(body.refreshToken).not.toBe(account.refreshToken);
  });

  it('accepts the username in any case', async () => {
    const account = await register(auth);
    const response = await login(auth, {
      username: account.user.username.toUpperCase(),
      password: account.password,
    });
    expect(response.statusCode).toBe(200);
  });

  it('answers a wrong password and an unknown user identically', async () => {
    const account = await register(auth);
    const wrong = await login(
      auth,
      { username: account.user.username, password: 'not the password' },
      '10.0.0.2',
    );
    const unknown = await login(
      auth,
      { username: uniqueName('ghost'), password: 'not the password' },
      '10.0.0.2',
    );
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json()).toEqual({
      error: { code: 'invalid_credentials', message: 'Wrong username or password' },
    });
    expect(unknown.json()).toEqual(wrong.json());
  });

  it('spends the same hashing work on an unknown user as on a wrong password', async () => {
    const account = await register(auth);
    const time = async (username: string, ip: string) => {
      const started = performance.now();
      await login(auth, { username, password: 'not the password' }, ip);
      return performance.now() - started;
    };
    const wrong: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 3; i++) {
      wrong.push(await time(account.user.username, `10.1.0.${i}`));
      unknown.push(await time(uniqueName('ghost'), `10.2.0.${i}`));
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[1] as number;
    // Without the decoy hash an unknown user answers ~20x faster than a wrong password.
    expect(median(unknown)).toBeGreaterThan(median(wrong) * 0.5);
  });

  it.each([
    ['operator injection in username', { username: { $gt: '' }, password: 'whatever1' }],
    ['operator injection in password', { username: 'someone', password: { $ne: null } }],
    ['a regex object', { username: { $regex: '.*' }, password: 'whatever1' }],
    ['a missing password', { username: 'someone' }],
    ['an extra field', { username: 'someone', password: 'whatever1', remember: true }],
    ['an oversize password', { username: 'someone', password: 'x'.repeat(300) }],
  ])('rejects %s with 400 and never logs in', async (_label, payload) => {
    const response = await login(auth, payload, '10.3.0.1');
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('invalid_request');
    expect(response.body).not.toContain('accessToken');
  });

  it('rate-limits per client and username across replicas, with Retry-After', async () => {
    const account = await register(auth);
    const attempt = { username: account.user.username, password: 'wrong password' };
    const ip = '192.0.2.10';
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await login(i % 2 ? replica : auth, attempt, ip)).statusCode);
    expect(statuses).toEqual([401, 401, 401, 401]);

    const limited = await login(replica, attempt, ip);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);

    // Even the right password waits; another client address is not affected.
    expect((await login(auth, { ...attempt, password: account.password }, ip)).statusCode).toBe(429);
    expect((await login(auth, { ...attempt, password: account.password }, '192.0.2.11')).statusCode).toBe(
      200,
    );
  });

  it('cuts off password spraying: failures from one address across usernames, on every replica', async () => {
    const accounts = await Promise.all(Array.from({ length: 8 }, () => register(auth)));
    const ip = '192.0.2.20';
    const statuses = [];
    for (const [i, account] of accounts.entries()) {
      const guess = { username: account.user.username, password: 'Summer2026!' };
      statuses.push((await login(i % 2 ? replica : auth, guess, ip)).statusCode);
    }
    // Six failures allowed, each against a different account; then the address waits.
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 429, 429]);
    const limited = await login(auth, { username: accounts[7]?.user.username, password: 'x'.repeat(12) }, ip);
    expect(limited.json().error).toMatchObject({ code: 'rate_limited' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Another address logs in; the per-username limit was never reached.
    const other = accounts[7] as (typeof accounts)[number];
    expect(
      (await login(auth, { username: other.user.username, password: other.password }, '192.0.2.21'))
        .statusCode,
    ).toBe(200);
  });
});
