import { DomainError } from '@palaver/service-kit';
import type { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';

/**
 * Failed logins per client address, across usernames: the per-(address, username) limit
 * alone lets one address try a password against every account (spraying), each try costing
 * an argon2 hash. Only failures count, so a shared address (an office behind NAT) logging
 * in correctly is never held back. Redis errors skip the check, as the other limits do.
 */
export function createLoginFailureLimit(options: {
  redis: Redis;
  keyPrefix: string;
  maxFailures: number;
  windowSeconds: number;
}) {
  const limiter = new RateLimiterRedis({
    storeClient: options.redis,
    keyPrefix: options.keyPrefix,
    points: options.maxFailures,
    duration: options.windowSeconds,
  });
  const refuse = (msBeforeNext: number) => {
    const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
    return new DomainError(
      'rate_limited',
      `Too many failed logins from this address; retry in ${seconds} s`,
      undefined,
      {
        retryAfterSeconds: seconds,
      },
    );
  };
  return {
    /** Throws 429 once the address has used up its failures for the window. */
    async assertAllowed(address: string) {
      const state = await limiter.get(address).catch(() => null);
      if (state && state.consumedPoints >= options.maxFailures) throw refuse(state.msBeforeNext);
    },
    async recordFailure(address: string) {
      // Rejects when over the limit already or when Redis is unreachable: nothing to add.
      await limiter.consume(address).catch(() => undefined);
    },
  };
}

export type LoginFailureLimit = ReturnType<typeof createLoginFailureLimit>;
