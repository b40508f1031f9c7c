import type { Redis } from 'ioredis';

/**
 * Sessions ended by auth (`auth.session.revoked`), remembered for as long as an access
 * token issued to them can still be valid, so such a token can neither open a socket nor
 * be swapped in with `auth:refresh` on any replica.
 */
export interface RevokedSessions {
  remember(sessionId: string): Promise<void>;
  isRevoked(sessionId: string): Promise<boolean>;
}

export function createRevokedSessions(redis: Redis, accessTokenTtlSeconds: number): RevokedSessions {
  const key = (sessionId: string) => `revoked-session:${sessionId}`;
  return {
    async remember(sessionId) {
      await redis.set(key(sessionId), '1', 'EX', accessTokenTtlSeconds);
    },
    async isRevoked(sessionId) {
      return (await redis.exists(key(sessionId))) === 1;
    },
  };
}
