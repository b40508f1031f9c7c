import type { Redis } from 'ioredis';

/**
 * Which events have been handled, for idempotent consumers. Publishers deliver at least
 * once (a relay may republish what was already sent), so a repeated event id is skipped.
 * With a queue per replica each replica must handle every event once: a local memory of
 * recent ids suffices. With a shared queue a repeat may land on another replica, so the
 * claim is a key in Redis that only the first replica to see the id gets.
 */
export interface EventClaims {
  /** True the first time an id is claimed. */
  claim(eventId: string): Promise<boolean>;
  /** Gives a claim back after a failure, so the broker's redelivery is handled. */
  release(eventId: string): Promise<void>;
}

const remembered = 10_000;

export function localEventClaims(): EventClaims {
  const seen = new Set<string>();
  return {
    async claim(eventId) {
      if (seen.has(eventId)) return false;
      seen.add(eventId);
      // A Set iterates in insertion order: dropping the first forgets the oldest.
      if (seen.size > remembered) seen.delete(seen.values().next().value as string);
      return true;
    },
    async release(eventId) {
      seen.delete(eventId);
    },
  };
}

export function sharedEventClaims(redis: Redis, ttlSeconds = 3600): EventClaims {
  const key = (eventId: string) => `event-claim:${eventId}`;
  return {
    async claim(eventId) {
      return (await redis.set(key(eventId), '1', 'EX', ttlSeconds, 'NX')) === 'OK';
    },
    async release(eventId) {
      await redis.del(key(eventId));
    },
  };
}
