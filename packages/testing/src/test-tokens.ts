import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AccessTokenVerifier,
  createAccessTokenVerifier,
  type RevocationList,
} from '@palaver/service-kit';
import { SignJWT } from 'jose';
import { several } from './several.ts';

export interface TestUser {
  id: string;
  sessionId: string;
  token: string;
  headers: { authorization: string };
}

export interface TestTokenIssuer {
  /** The public key set, as the auth service publishes it. */
  jwks: { keys: object[] };
  /** A new user (or `userId`) with an access token signed like auth signs them. */
  mint(options?: { userId?: string; sessionId?: string; expiresInSeconds?: number }): Promise<TestUser>;
  /** Serves the key set over HTTP on 127.0.0.1, for services run as processes. */
  serve(): Promise<{ url: string; close: () => Promise<void> }>;
  /** What a service built in the test process verifies tokens with: these keys, ended sessions on `revocations`. */
  verifier(revocations: RevocationList): AccessTokenVerifier;
}

/**
 * Stands in for the auth service in other services' tests: tokens are verified there
 * exactly as in production (JWKS, issuer, audience, algorithm); only the key is local.
 */
export function createTestTokenIssuer(): TestTokenIssuer {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwks = {
    keys: [{ ...(publicKey.export({ format: 'jwk' }) as object), kid: 'test', alg: 'EdDSA', use: 'sig' }],
  };
  return {
    jwks,
    async mint(options = {}) {
      const id = options.userId ?? randomBytes(12).toString('hex');
      const sessionId = options.sessionId ?? randomUUID();
      const now = Math.floor(Date.now() / 1000);
      const token = await new SignJWT({ sid: sessionId })
        .setProtectedHeader({ alg: 'EdDSA', kid: 'test' })
        .setSubject(id)
        .setIssuer('palaver-auth')
        .setAudience('palaver')
        .setIssuedAt(now)
        .setJti(randomUUID())
        .setExpirationTime(now + (options.expiresInSeconds ?? 900))
        .sign(privateKey);
      return { id, sessionId, token, headers: { authorization: `Bearer ${token}` } };
    },
    async serve() {
      const body = JSON.stringify(jwks);
      const server = createServer((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' }).end(body);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      return {
        url: `http://127.0.0.1:${port}/auth/.well-known/jwks.json`,
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
      };
    },
    verifier: (revocations) =>
      createAccessTokenVerifier({ jwks, issuer: 'palaver-auth', audience: 'palaver', revocations }),
  };
}

/**
 * A test file's people: an issuer standing in for auth, and new users with its tokens, one
 * or several at once. Minting needs no server, so files can make theirs as they load.
 */
export function createTestUsers() {
  const issuer = createTestTokenIssuer();
  const makeUser = (): Promise<TestUser> => issuer.mint();
  return {
    issuer,
    makeUser,
    /** `const [ada, bob] = await makeUsers(2)` */
    makeUsers: <N extends number>(count: N) => several(count, makeUser),
  };
}
