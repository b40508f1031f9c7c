import type { Redis } from 'ioredis';
import { DomainError } from './domain-error.ts';
import { redisCheckTimeoutMs, withTimeout } from './redis-commands.ts';

/**
 * The sessions auth has ended, in Redis, each kept for as long as an access token issued
 * to it can still be valid. Auth writes it (before it answers a logout, and again from its
 * relay); every service reads it on every authenticated request, so a revoked token is
 * refused everywhere at once, whether or not the broker is up.
 *
 * A Redis that restarted empty would forget revocations, so the list carries a marker
 * auth sets once it holds every recent revocation: without it the list is incomplete and
 * readers refuse to vouch for any token (fail closed) until auth has filled it again.
 */
export interface RevocationList {
  /** Throws `unauthorized` for an ended session, `unavailable` when the list cannot be trusted. */
  check(sessionId: string): Promise<void>;
  /** Auth only: remembers an ended session for `ttlSeconds`. */
  revoke(sessionId: string, ttlSeconds: number): Promise<void>;
  /** Auth only: whether the marker of a complete list is there. */
  isComplete(): Promise<boolean>;
  /** Auth only: sets the marker, once every recent revocation is written. */
  markComplete(): Promise<void>;
}

/**
 * `redis` must not have an ioredis `keyPrefix`: `prefix` (REDIS_PREFIX, the same on every
 * service of a deployment) names the keys, so all services agree on them.
 */
export function createRevocationList(redis: Redis, prefix: string): RevocationList {
  const sessionKey = (sessionId: string) => `${prefix}revoked-session:${sessionId}`;
  const completeKey = `${prefix}revoked-sessions:complete`;
  const unavailable = () =>
    new DomainError('unavailable', 'Cannot check the session right now; retry shortly', undefined, {
      retryAfterSeconds: 1,
    });

  return {
    async check(sessionId) {
      let found: Array<string | null>;
      try {
        found = await withTimeout(redis.mget(completeKey, sessionKey(sessionId)), redisCheckTimeoutMs);
      } catch {
        throw unavailable();
      }
      const [complete, revoked] = found;
      if (revoked != null) throw new DomainError('unauthorized', 'This session has ended; sign in again');
      if (complete == null) throw unavailable();
    },
    async revoke(sessionId, ttlSeconds) {
      if (ttlSeconds > 0) await redis.set(sessionKey(sessionId), '1', 'EX', Math.ceil(ttlSeconds));
    },
    async isComplete() {
      return (await redis.exists(completeKey)) === 1;
    },
    async markComplete() {
      await redis.set(completeKey, new Date().toISOString());
    },
  };
}
