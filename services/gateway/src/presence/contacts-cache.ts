import type { Redis } from 'ioredis';

/**
 * Each user's contacts (whose presence they see), kept in Redis for every replica, so a
 * reconnect storm — a drained replica's clients arriving at the others — does not ask the
 * message service and the store again for each socket.
 *
 * An entry is stamped with the user's contacts generation, which everything that can change
 * whom they see bumps (a conversation created, joined or left, a block or an unblock: the
 * events that move watch rooms). An entry loaded before such a change and written after
 * it carries the old generation and is never served.
 *
 * - `contacts:{<user>}:gen` — the generation (absent until the first change).
 * - `contacts:{<user>}:list` — `{ gen, ids }` as JSON, for `ttlSeconds`.
 */
export interface ContactsCache {
  /** The user's contacts: the cached list if its generation is current, else `load()`'s (then cached). */
  of(userId: string, load: () => Promise<string[]>): Promise<string[]>;
  /** Whom these users see may have changed: their cached lists are stale from now on. */
  changed(userIds: Iterable<string>): Promise<void>;
}

const genKey = (userId: string) => `contacts:{${userId}}:gen`;
const listKey = (userId: string) => `contacts:{${userId}}:list`;

export function createContactsCache(redis: Redis, ttlSeconds: number): ContactsCache {
  return {
    async of(userId, load) {
      const [gen = null, cached = null] = await redis.mget(genKey(userId), listKey(userId));
      if (cached) {
        const entry = JSON.parse(cached) as { gen: string | null; ids: string[] };
        if (entry.gen === gen) return entry.ids;
      }
      const ids = await load();
      await redis.set(listKey(userId), JSON.stringify({ gen, ids }), 'EX', ttlSeconds);
      return ids;
    },

    async changed(userIds) {
      const pipeline = redis.pipeline();
      // The generation outlives every entry stamped before it, so none can match again.
      for (const userId of new Set(userIds))
        pipeline.incr(genKey(userId)).expire(genKey(userId), 2 * ttlSeconds);
      const replies = (await pipeline.exec()) ?? [];
      const failed = replies.find(([error]) => error);
      if (failed) throw failed[0];
    },
  };
}
