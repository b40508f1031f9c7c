import type { FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import { LRUCache } from 'lru-cache';
import { DomainError } from './domain-error.ts';
import { createRevocationList, type RevocationList } from './revocation-list.ts';

/** Who a verified access token speaks for. */
export interface Principal {
  userId: string;
  sessionId: string;
  tokenId: string;
  /** Seconds since the epoch. */
  expiresAt: number;
}

export interface AccessTokenVerifierOptions {
  /** The auth service's JWKS: a URL to fetch (cached, refetched on an unknown `kid`) or a key set. */
  jwks: URL | JSONWebKeySet;
  issuer: string;
  audience: string;
  /**
   * Ended sessions, checked after the signature: a revoked session's tokens are refused
   * though unexpired. `null` only where the caller checks sessions itself (auth).
   */
  revocations: RevocationList | null;
  /** Verified tokens remembered until they expire (0: none); see createAccessTokenVerifier. */
  cacheSize?: number;
}

export type AccessTokenVerifier = (token: string) => Promise<Principal>;

/** Only auth signs tokens; every service verifies them with auth's public keys, by `kid`. */
export const accessTokenAlgorithms = ['EdDSA', 'ES256'];

/**
 * Checks a token's signature and claims, then (every time) its session against the
 * revocation list. A token seen before skips the signature: the same string verified once
 * stays valid until it expires, and a socket's reconnects and a gateway's calls on behalf
 * of its sockets present the same token again and again. A key withdrawn from the JWKS is
 * noticed no sooner than before: the key set itself is cached for 10 minutes.
 */
export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): AccessTokenVerifier {
  const keys: JWTVerifyGetKey =
    options.jwks instanceof URL
      ? createRemoteJWKSet(options.jwks, { cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 })
      : createLocalJWKSet(options.jwks);
  const cacheSize = options.cacheSize ?? 10_000;
  const verified = cacheSize > 0 ? new LRUCache<string, Principal>({ max: cacheSize }) : undefined;

  return async (token) => {
    let principal = verified?.get(token);
    if (principal === undefined || principal.expiresAt * 1000 <= Date.now()) {
      principal = await verifySignature(token);
      verified?.set(token, principal, { ttl: principal.expiresAt * 1000 - Date.now() });
    }
    await options.revocations?.check(principal.sessionId);
    return principal;
  };

  async function verifySignature(token: string): Promise<Principal> {
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: accessTokenAlgorithms,
        requiredClaims: ['sub', 'sid', 'jti', 'exp', 'iat'],
      });
      if (typeof payload.sid !== 'string' || typeof payload.sub !== 'string') {
        throw new DomainError('unauthorized', 'The access token is invalid');
      }
      return {
        userId: payload.sub,
        sessionId: payload.sid,
        tokenId: payload.jti as string,
        expiresAt: payload.exp as number,
      };
    } catch (error) {
      if (error instanceof DomainError) throw error;
      if (error instanceof joseErrors.JWTExpired) {
        throw new DomainError('token_expired', 'The access token has expired; refresh it');
      }
      throw new DomainError('unauthorized', 'The access token is invalid');
    }
  }
}

/**
 * The verifier of a service other than auth: keys from auth's JWKS URL, ended sessions
 * from the revocation list in `redis` (a client without an ioredis `keyPrefix`).
 */
export function createServiceTokenVerifier(
  config: { JWKS_URL: string; JWT_ISSUER: string; JWT_AUDIENCE: string; REDIS_PREFIX: string },
  redis: Redis,
): AccessTokenVerifier {
  return createAccessTokenVerifier({
    jwks: new URL(config.JWKS_URL),
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    revocations: createRevocationList(redis, config.REDIS_PREFIX),
  });
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

/** Reads `Authorization: Bearer <token>`; an onRequest hook that rejects with 401 otherwise. */
export function requireAccessToken(verify: AccessTokenVerifier) {
  return async (request: FastifyRequest) => {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([\w-]+\.[\w-]+\.[\w-]+)$/.exec(header) : null;
    if (!match) throw new DomainError('unauthorized', 'A bearer access token is required');
    request.principal = await verify(match[1] as string);
  };
}
