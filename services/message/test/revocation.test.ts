import { createAccessTokenVerifier, createRevocationList, DomainError } from '@palaver/service-kit';
import { createTestTokenIssuer } from '@palaver/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MessageHarness, makeUser, startMessage, type TestUser } from './message-harness.ts';

/**
 * Ended sessions as every service other than auth sees them: through the revocation list
 * auth keeps in Redis, checked on every authenticated request.
 */
let service: MessageHarness;
beforeAll(async () => {
  service = await startMessage('revocation');
});
afterAll(async () => {
  await service.close();
});

const list = (user: TestUser) =>
  service.app.inject({ method: 'GET', url: '/conversations', headers: user.headers });

describe('a revoked session', () => {
  it('is refused on the next request, before its body is read; other sessions of the user are not', async () => {
    const user = await makeUser();
    const conversation = await service.createDirect(user, await makeUser());
    expect((await list(user)).statusCode).toBe(200);

    await service.revocations.list.revoke(user.sessionId, 900);
    const refused = await list(user);
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toEqual({
      error: { code: 'unauthorized', message: 'This session has ended; sign in again' },
    });
    // A body that would fail validation: the token is refused first, so the caller learns nothing.
    const send = await service.app.inject({
      method: 'POST',
      url: `/conversations/${conversation.id}/messages`,
      headers: { ...user.headers, 'content-type': 'application/json' },
      payload: { body: 42, $where: 'sleep(1000)' },
    });
    expect(send.statusCode).toBe(401);

    const otherSession = await makeUser();
    expect((await list(otherSession)).statusCode).toBe(200);
  });
});

describe('when the list cannot be trusted', () => {
  it('answers 503 with Retry-After while Redis lost the list (its marker is gone)', async () => {
    const user = await makeUser();
    const marker = `${service.env.redisPrefix}revoked-sessions:complete`;
    const saved = await service.revocations.redis.get(marker);
    await service.revocations.redis.del(marker);
    try {
      const response = await list(user);
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('1');
      expect(response.json().error.code).toBe('unavailable');
    } finally {
      await service.revocations.redis.set(marker, saved ?? 'restored');
    }
    expect((await list(user)).statusCode).toBe(200);
  });

  it('refuses as unavailable within about a second when Redis does not answer (fails closed)', async () => {
    const issuer = createTestTokenIssuer();
    const unreachable = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: 1 });
    unreachable.on('error', () => undefined);
    try {
      const verify = createAccessTokenVerifier({
        jwks: issuer.jwks,
        issuer: 'palaver-auth',
        audience: 'palaver',
        revocations: createRevocationList(unreachable, service.env.redisPrefix),
      });
      const user = await issuer.mint();
      const started = Date.now();
      const outcome = await verify(user.token).then(
        () => 'accepted',
        (error: unknown) => (error instanceof DomainError ? error.code : String(error)),
      );
      expect(outcome).toBe('unavailable');
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      unreachable.disconnect();
    }
  });
});
