import { createRevocationList, type RevocationList } from '@palaver/service-kit';
import { Redis } from 'ioredis';

export interface TestRevocationList {
  /** A client without key prefix, for services' `redis` dependency. */
  redis: Redis;
  /** The list under the test's prefix: revoke sessions with it as auth would. */
  list: RevocationList;
  close: () => Promise<void>;
}

/**
 * Stands in for auth's side of the revocation list in other services' tests: marks the
 * list under `redisPrefix` complete (as auth does at start), so services accept tokens.
 */
export async function openRevocationList(env: {
  redisUrl: string;
  redisPrefix: string;
}): Promise<TestRevocationList> {
  const redis = new Redis(env.redisUrl, { maxRetriesPerRequest: 1 });
  const list = createRevocationList(redis, env.redisPrefix);
  await list.markComplete();
  return {
    redis,
    list,
    close: async () => {
      await redis.quit().catch(() => undefined);
    },
  };
}

/** The same for services run as processes, when nothing is revoked by the test itself. */
export async function markRevocationListComplete(env: { redisUrl: string; redisPrefix: string }) {
  const { close } = await openRevocationList(env);
  await close();
}
