import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { UploadError } from '../errors.ts';

/**
 * Upload requests per user in a window, counted in Redis so every replica shares the
 * count. When Redis cannot answer the request is refused as unavailable: the token check
 * of the same request needs Redis as well, so letting it through would buy nothing.
 */
export function createUploadRateLimit(options: {
  redis: Redis;
  keyPrefix: string;
  maxRequests: number;
  windowSeconds: number;
}) {
  const limiter = new RateLimiterRedis({
    storeClient: options.redis,
    keyPrefix: options.keyPrefix,
    points: options.maxRequests,
    duration: options.windowSeconds,
  });
  return {
    async take(userId: string) {
      try {
        await limiter.consume(userId);
      } catch (result) {
        if (!(result instanceof RateLimiterRes)) {
          throw new UploadError('unavailable', 'Cannot take uploads right now; retry shortly', undefined, {
            retryAfterSeconds: 1,
          });
        }
        const seconds = Math.max(1, Math.ceil(result.msBeforeNext / 1000));
        throw new UploadError('rate_limited', `Too many uploads; retry in ${seconds} s`, undefined, {
          retryAfterSeconds: seconds,
        });
      }
    },
  };
}

export type UploadRateLimit = ReturnType<typeof createUploadRateLimit>;
