import { createRevocationList, DomainError, type RevocationList } from '@palaver/service-kit';
import { type EventRecorder, recordEvents } from '@palaver/testing';
import { Redis } from 'ioredis';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthHarness, bearer, register, startAuth } from './auth-harness.ts';

let auth: AuthHarness;
let events: EventRecorder;
let redis: Redis;
/** The revocation list as every other service reads it. */
let list: RevocationList;
beforeAll(async () => {
  auth = await startAuth('sessions');
  events = await recordEvents(auth.env.amqpUrl, auth.env.exchange, 'auth.#');
  redis = new Redis(auth.env.redisUrl);
  list = createRevocationList(redis, auth.env.redisPrefix);
  await auth.revocationList.check(); // as at start: the list is complete
});
afterAll(async () => {
  await events.close();
  await redis.quit();
  await auth.close();
});

/** What another service's check of `sessionId` says: 'live', or the refusal's code. */
const listed = (sessionId: string) =>
  list.check(sessionId).then(
    () => 'live',
    (error: unknown) => (error instanceof DomainError ? error.code : String(error)),
  );

const refresh = (refreshToken: unknown) =>
  auth.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken } as object });
/** Logs out through `via` (another replica, e.g. one cut off from the broker or Redis). */
const logout = (accessToken: string, via: AuthHarness = auth) =>
  via.app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(accessToken) });
/** Registers and logs out through `via`; the id of the session that ended. */
async function registerAndLogOut(via: AuthHarness) {
  const account = await register(via);
  expect((await logout(account.accessToken, via)).statusCode).toBe(204);
  return decodeJwt(account.accessToken).sid as string;
}
const me = (accessToken: string) =>
  auth.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(accessToken) });

describe('POST /auth/refresh', () => {
  it('rotates: a new pair for the same session, and the old refresh token is spent', async () => {
    const account = await register(auth);
    const response = await refresh(account.refreshToken);
    expect(response.statusCode).toBe(200);
    const pair = response.json();
    expect(Object.keys(pair).sort()).toEqual(['accessToken', 'expiresIn', 'refreshToken']);
    expect(pair.refreshToken).not.toBe(account.refreshToken);
    expect(decodeJwt(pair.accessToken).sid).toBe(decodeJwt(account.accessToken).sid);
    expect((await me(pair.accessToken)).statusCode).toBe(200);
    // A chain of rotations keeps working.
    expect((await refresh(pair.refreshToken)).statusCode).toBe(200);
  });

  it('stores refresh tokens only as digests', async () => {
    const account = await register(auth);
    const stored = await auth.mongo.collection('refresh_tokens').find().toArray();
    expect(stored.length).toBeGreaterThan(0);
    expect(JSON.stringify(stored)).not.toContain(account.refreshToken);
  });

  it('revokes the whole session when a rotated token is reused, and announces it', async () => {
    const account = await register(auth);
    const sid = decodeJwt(account.accessToken).sid;
    const next = (await refresh(account.refreshToken)).json();

    const reuse = await refresh(account.refreshToken);
    expect(reuse.statusCode).toBe(401);
    expect(reuse.json().error.code).toBe('session_revoked');

    // The legitimate holder's newer tokens die with the session.
    expect((await refresh(next.refreshToken)).json().error.code).toBe('session_revoked');
    expect((await me(next.accessToken)).json().error.code).toBe('session_revoked');

    const event = await events.waitFor(
      (e) => e.type === 'auth.session.revoked' && (e.data as { sessionId: string }).sessionId === sid,
    );
    expect(event).toMatchObject({ version: 1, data: { userId: account.user.id, reason: 'refresh_reuse' } });
    expect(await listed(sid as string)).toBe('unauthorized');
  });

  it('lets only one of two concurrent refreshes with one token succeed', async () => {
    const account = await register(auth);
    const results = await Promise.all([refresh(account.refreshToken), refresh(account.refreshToken)]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 401]);
    // Strict: a token presented twice is treated as stolen, whichever request came second.
    expect(results.find((r) => r.statusCode === 401)?.json().error.code).toBe('session_revoked');
  });

  it('rejects unknown tokens with 401 invalid_refresh_token, and bad input with 400', async () => {
    const unknown = await refresh('x'.repeat(43));
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().error.code).toBe('invalid_refresh_token');
    for (const bad of [{ $gt: '' }, 42, '', null, 'y'.repeat(500)]) {
      const response = await refresh(bad);
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('invalid_request');
    }
  });

  it('does not accept an access token as a refresh token', async () => {
    const account = await register(auth);
    expect((await refresh(account.accessToken)).statusCode).toBe(400);
  });
});

describe('POST /auth/logout', () => {
  it('revokes the session, leaves other sessions alone, and publishes auth.session.revoked', async () => {
    const account = await register(auth);
    const other = (
      await auth.app.inject({
        method: 'POST',
        url: '/auth/login',
        payload: { username: account.user.username, password: account.password },
      })
    ).json();
    const sid = decodeJwt(account.accessToken).sid;

    expect(await listed(sid as string)).toBe('live');
    const response = await logout(account.accessToken);
    expect(response.statusCode).toBe(204);
    // Listed before the answer: every other service refuses its tokens from now on.
    expect(await listed(sid as string)).toBe('unauthorized');
    expect(await listed(decodeJwt(other.accessToken).sid as string)).toBe('live');
    expect((await refresh(account.refreshToken)).json().error.code).toBe('session_revoked');
    expect((await me(account.accessToken)).json().error.code).toBe('session_revoked');
    expect((await me(other.accessToken)).statusCode).toBe(200);

    const event = await events.waitFor((e) => (e.data as { sessionId?: string }).sessionId === sid);
    expect(event).toMatchObject({
      type: 'auth.session.revoked',
      version: 1,
      id: `auth.session.revoked:${sid}`,
      data: { userId: account.user.id, reason: 'logout', revokedAt: expect.any(String) },
    });
  });

  it('requires a valid access token', async () => {
    const response = await auth.app.inject({ method: 'POST', url: '/auth/logout' });
    expect(response.statusCode).toBe(401);
    expect(response.json().error.code).toBe('unauthorized');
  });

  it('publishes a revocation made while the broker was down once the relay runs', async () => {
    // A replica whose broker is unreachable: logout still succeeds and is stored unpublished.
    const cutOff = await startAuth('sessions', { sameAs: auth, amqpUrl: 'amqp://127.0.0.1:1' });
    try {
      const sid = await registerAndLogOut(cutOff);
      const stored = await auth.mongo.collection('sessions').findOne({ _id: sid as never });
      expect(stored).toMatchObject({ revocationPublished: false, revokeReason: 'logout' });
      // Refused everywhere already: the list does not wait for the broker.
      expect(await listed(sid)).toBe('unauthorized');
      expect(events.events.some((e) => (e.data as { sessionId?: string }).sessionId === sid)).toBe(false);

      // Any replica with a broker publishes it.
      expect(await auth.relay.flush()).toBeGreaterThanOrEqual(1);
      await events.waitFor((e) => (e.data as { sessionId?: string }).sessionId === sid);
      expect(await auth.mongo.collection('sessions').findOne({ _id: sid as never })).toMatchObject({
        revocationPublished: true,
      });
      expect(await auth.relay.flush()).toBe(0);
    } finally {
      await cutOff.close();
    }
  });
});

describe('the revocation list', () => {
  it('lists a session revoked while Redis was unreachable once the relay runs', async () => {
    const cutOff = await startAuth('sessions', { sameAs: auth, redisUrl: 'redis://127.0.0.1:1' });
    try {
      const sid = await registerAndLogOut(cutOff);
      expect(await listed(sid)).toBe('live');
      await auth.relay.flush();
      expect(await listed(sid)).toBe('unauthorized');
    } finally {
      await cutOff.close();
    }
  });

  it('is refilled after Redis lost its data; until then other services refuse every token', async () => {
    const [ended, live] = await Promise.all([register(auth), register(auth)]);
    const endedSid = decodeJwt(ended.accessToken).sid as string;
    const liveSid = decodeJwt(live.accessToken).sid as string;
    expect((await logout(ended.accessToken)).statusCode).toBe(204);

    // Redis restarted empty: this file's keys are gone.
    const keys = await redis.keys(`${auth.env.redisPrefix}revoked-*`);
    expect(keys.length).toBeGreaterThanOrEqual(2);
    await redis.del(...keys);
    expect(await listed(liveSid)).toBe('unavailable');
    expect(await listed(endedSid)).toBe('unavailable');

    expect(await auth.revocationList.check()).toBe(true);
    expect(await listed(endedSid)).toBe('unauthorized');
    expect(await listed(liveSid)).toBe('live');
    expect(await redis.ttl(`${auth.env.redisPrefix}revoked-session:${endedSid}`)).toBeGreaterThan(900);
    expect(await auth.revocationList.check()).toBe(false); // complete: nothing to do
  });
});

describe('expired sessions', () => {
  it('are deleted with their refresh tokens by the sweep; live ones stay', async () => {
    const live = await register(auth);
    const expiring = await register(auth);
    const liveSid = decodeJwt(live.accessToken).sid as string;
    const expiringSid = decodeJwt(expiring.accessToken).sid as string;
    const sessions = auth.mongo.collection('sessions');
    const tokens = auth.mongo.collection('refresh_tokens');
    const past = new Date(Date.now() - 1000);
    await sessions.updateOne({ _id: expiringSid } as never, { $set: { expiresAt: past } });
    await tokens.updateMany({ sessionId: expiringSid }, { $set: { expiresAt: past } });

    const deleted = await auth.sessionExpiry.sweep();
    expect(deleted.sessions).toBeGreaterThanOrEqual(1);
    expect(await sessions.countDocuments({ _id: expiringSid } as never)).toBe(0);
    expect(await tokens.countDocuments({ sessionId: expiringSid })).toBe(0);
    expect(await sessions.countDocuments({ _id: liveSid } as never)).toBe(1);
    expect((await refresh(live.refreshToken)).statusCode).toBe(200);
    expect((await refresh(expiring.refreshToken)).statusCode).toBe(401);
  });

  it('keeps a revoked session until its revocation is announced', async () => {
    const account = await register(auth);
    const sid = decodeJwt(account.accessToken).sid as string;
    const sessions = auth.mongo.collection('sessions');
    await sessions.updateOne({ _id: sid } as never, {
      $set: { expiresAt: new Date(Date.now() - 1000), revokedAt: new Date(), revocationPublished: false },
    });
    await auth.sessionExpiry.sweep();
    expect(await sessions.countDocuments({ _id: sid } as never)).toBe(1);
    await sessions.updateOne({ _id: sid } as never, { $set: { revocationPublished: true } });
    await auth.sessionExpiry.sweep();
    expect(await sessions.countDocuments({ _id: sid } as never)).toBe(0);
  });
});
