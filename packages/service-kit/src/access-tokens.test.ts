import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createAccessTokenVerifier } from './access-tokens.ts';
import { DomainError } from './domain-error.ts';
import type { RevocationList } from './revocation-list.ts';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const jwks = { keys: [{ ...(publicKey.export({ format: 'jwk' }) as object), kid: 'k', alg: 'EdDSA' }] };

async function mint(expiresInSeconds: number, sessionId = randomUUID()) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sid: sessionId })
    .setProtectedHeader({ alg: 'EdDSA', kid: 'k' })
    .setSubject('ada')
    .setIssuer('auth')
    .setAudience('palaver')
    .setIssuedAt(now)
    .setJti(randomUUID())
    .setExpirationTime(now + expiresInSeconds)
    .sign(privateKey);
}

/** Sessions ended in memory: the list's contract without Redis. */
function revocations() {
  const ended = new Set<string>();
  const list: RevocationList = {
    async check(sessionId) {
      if (ended.has(sessionId)) throw new DomainError('unauthorized', 'This session has ended');
    },
    revoke: async (sessionId) => void ended.add(sessionId),
    isComplete: async () => true,
    markComplete: async () => undefined,
  };
  return list;
}

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (error: unknown) => (error instanceof DomainError ? error.code : String(error)),
  );

describe('the access token verifier', () => {
  const verifier = (list: RevocationList | null = null, cacheSize?: number) =>
    createAccessTokenVerifier({ jwks, issuer: 'auth', audience: 'palaver', revocations: list, cacheSize });

  it('checks the revocation list on every call, a token it verified before included', async () => {
    const list = revocations();
    const verify = verifier(list);
    const sessionId = randomUUID();
    const token = await mint(900, sessionId);
    expect(await verify(token)).toMatchObject({ userId: 'ada', sessionId });
    expect(await verify(token)).toMatchObject({ userId: 'ada', sessionId });
    await list.revoke(sessionId, 900);
    expect(await codeOf(verify(token))).toBe('unauthorized');
  });

  it('refuses a remembered token once it has expired', async () => {
    const verify = verifier();
    const token = await mint(2);
    expect(await codeOf(verify(token))).toBe('accepted');
    const { exp } = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString());
    await sleep(exp * 1000 - Date.now() + 20);
    expect(await codeOf(verify(token))).toBe('token_expired');
  });

  it.each([10_000, 0])(
    'refuses a token altered after one like it was verified (cache of %i)',
    async (size) => {
      const verify = verifier(null, size);
      const token = await mint(900);
      expect(await codeOf(verify(token))).toBe('accepted');
      const [header, payload, signature] = token.split('.') as [string, string, string];
      const forged = JSON.parse(Buffer.from(payload, 'base64url').toString());
      forged.sub = 'bob';
      const altered = [header, Buffer.from(JSON.stringify(forged)).toString('base64url'), signature].join(
        '.',
      );
      expect(await codeOf(verify(altered))).toBe('unauthorized');
      expect(await codeOf(verify(`${token.slice(0, -2)}AA`))).toBe('unauthorized');
    },
  );
});
