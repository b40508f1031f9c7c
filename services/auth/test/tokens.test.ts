import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthHarness, bearer, register, startAuth, writeSigningKey } from './auth-harness.ts';

let auth: AuthHarness;
let signingPem: string;
beforeAll(async () => {
  const keysDir = await mkdtemp(join(tmpdir(), 'palaver-keys-'));
  signingPem = await writeSigningKey(keysDir, 'k1');
  auth = await startAuth('tokens', { keysDir });
});
afterAll(async () => {
  await auth.close();
  await rm(auth.keysDir, { recursive: true, force: true });
});

const me = (token: string) => auth.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(token) });

/** Signs a token the way an attacker or a misconfigured issuer might. */
async function forge(
  claims: Record<string, unknown>,
  options: { key?: string; kid?: string; exp?: number; iss?: string; aud?: string } = {},
) {
  const key = createPrivateKey(options.key ?? signingPem);
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', kid: options.kid ?? 'k1' })
    .setIssuer(options.iss ?? 'palaver-auth')
    .setAudience(options.aud ?? 'palaver')
    .setIssuedAt(now - 60)
    .setExpirationTime(options.exp ?? now + 60)
    .setJti('forged')
    .sign(key);
}

describe('access tokens', () => {
  it('are EdDSA JWTs with kid, sub, sid, jti and a 15-minute lifetime', async () => {
    const { accessToken, user } = await register(auth);
    expect(decodeProtectedHeader(accessToken)).toMatchObject({ alg: 'EdDSA', kid: 'k1' });
    const claims = decodeJwt(accessToken);
    expect(claims).toMatchObject({ sub: user.id, iss: 'palaver-auth', aud: 'palaver' });
    expect(claims.sid).toEqual(expect.any(String));
    expect(claims.jti).toEqual(expect.any(String));
    expect((claims.exp as number) - (claims.iat as number)).toBe(900);
  });

  it('are served as a JWKS with only public key material', async () => {
    const response = await auth.app.inject({ method: 'GET', url: '/auth/.well-known/jwks.json' });
    expect(response.statusCode).toBe(200);
    const { keys } = response.json();
    expect(keys).toEqual([
      { kty: 'OKP', crv: 'Ed25519', x: expect.any(String), kid: 'k1', alg: 'EdDSA', use: 'sig' },
    ]);
    expect(response.body).not.toContain('"d"');
  });

  it('authorize /auth/me', async () => {
    const { accessToken, user } = await register(auth);
    const response = await me(accessToken);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual(user);
  });

  it('are required: none, a malformed header or garbage is 401 unauthorized', async () => {
    for (const headers of [{}, { authorization: 'Basic abc' }, { authorization: 'Bearer not-a-jwt' }]) {
      const response = await auth.app.inject({ method: 'GET', url: '/auth/me', headers });
      expect(response.statusCode).toBe(401);
      expect(response.json().error.code).toBe('unauthorized');
    }
  });

  it('expired: 401 token_expired', async () => {
    const { user } = await register(auth);
    const sid = decodeJwt((await register(auth)).accessToken).sid;
    const token = await forge({ sub: user.id, sid }, { exp: Math.floor(Date.now() / 1000) - 5 });
    const response = await me(token);
    expect(response.statusCode).toBe(401);
    expect(response.json().error.code).toBe('token_expired');
  });

  it('forged with another key under the same kid: 401 unauthorized', async () => {
    const { user, accessToken } = await register(auth);
    const other = generateKeyPairSync('ed25519')
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const token = await forge({ sub: user.id, sid: decodeJwt(accessToken).sid }, { key: other });
    expect((await me(token)).json().error.code).toBe('unauthorized');
  });

  it('with an unknown kid: 401 unauthorized', async () => {
    const { user, accessToken } = await register(auth);
    const token = await forge({ sub: user.id, sid: decodeJwt(accessToken).sid }, { kid: 'k9' });
    expect((await me(token)).statusCode).toBe(401);
  });

  it('with a wrong issuer or audience: 401', async () => {
    const { user, accessToken } = await register(auth);
    const sid = decodeJwt(accessToken).sid;
    expect((await me(await forge({ sub: user.id, sid }, { iss: 'someone-else' }))).statusCode).toBe(401);
    expect((await me(await forge({ sub: user.id, sid }, { aud: 'another-app' }))).statusCode).toBe(401);
  });

  it('with alg "none" or a tampered payload: 401', async () => {
    const { accessToken } = await register(auth);
    const [header, payload, signature] = accessToken.split('.') as [string, string, string];
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`;
    expect(
      (
        await auth.app.inject({
          method: 'GET',
          url: '/auth/me',
          headers: { authorization: `Bearer ${none}` },
        })
      ).statusCode,
    ).toBe(401);
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const tampered = Buffer.from(JSON.stringify({ ...claims, sub: '0'.repeat(24) })).toString('base64url');
    expect((await me(`${header}.${tampered}.${signature}`)).statusCode).toBe(401);
  });
});

describe('key rotation', () => {
  it('keeps tokens of a retired key valid while new tokens use the active key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'palaver-rotation-'));
    const oldPem = await writeSigningKey(dir, '2026-01');
    const before = await startAuth('rotation', { keysDir: dir });
    const oldToken = (await register(before)).accessToken;

    // Rotate: a new private key signs; the old one stays only as a public key.
    await writeSigningKey(dir, '2026-02', 'ec');
    const publicPem = createPrivateKey(oldPem).export({ type: 'pkcs8', format: 'pem' });
    await writeFile(
      join(dir, '2026-01.pem'),
      (await import('node:crypto')).createPublicKey(publicPem).export({ type: 'spki', format: 'pem' }),
    );
    const after = await startAuth('rotation', {
      sameAs: before,
      keysDir: dir,
      env: { JWT_ACTIVE_KID: '2026-02' },
    });
    try {
      const jwks = (await after.app.inject({ method: 'GET', url: '/auth/.well-known/jwks.json' })).json();
      expect(jwks.keys.map((key: { kid: string; alg: string }) => `${key.kid}:${key.alg}`)).toEqual([
        '2026-01:EdDSA',
        '2026-02:ES256',
      ]);
      const newToken = (await register(after)).accessToken;
      expect(decodeProtectedHeader(newToken)).toMatchObject({ alg: 'ES256', kid: '2026-02' });
      for (const token of [oldToken, newToken]) {
        const response = await after.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(token) });
        expect(response.statusCode).toBe(200);
      }
    } finally {
      await after.close();
      await before.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
