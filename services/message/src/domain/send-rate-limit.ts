import { defineRedisScript, redisCheckTimeoutMs, withTimeout } from '@palaver/service-kit';
import type { Redis } from 'ioredis';
import { MessageError } from '../errors.ts';

/**
 * A token bucket per user in Redis: refill by elapsed time (Redis' own clock, so replicas'
 * clocks do not matter), then take a token if there is one. Returns 0 when a token was
 * taken, else the milliseconds until the next one.
 */
const takeTokenScript = `
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local now = redis.call('TIME')
local nowMs = now[1] * 1000 + math.floor(now[2] / 1000)
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or burst
local at = tonumber(bucket[2]) or nowMs
tokens = math.min(burst, tokens + (nowMs - at) * rate / 1000)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', nowMs)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return wait`;

/**
 * One send budget per user, whichever way the send comes: over HTTP, or from any gateway
 * replica on the user's behalf (gateways forward sends here), so more sockets, more
 * replicas or switching to HTTP buy no extra sends. When Redis cannot answer within
 * a second the send is refused as unavailable rather than let through unmetered: the
 * token check on the same request needs Redis too, so failing open would buy nothing.
 */
export function createSendRateLimit(options: {
  redis: Redis;
  prefix: string;
  perSecond: number;
  burst: number;
}) {
  const { perSecond, burst } = options;
  const takeToken = defineRedisScript(options.redis, 'palaverTakeSendToken', 1, takeTokenScript);
  return {
    /** Takes one send from the user's budget; throws 429 with Retry-After when it is spent. */
    async take(userId: string) {
      let waitMs: number;
      try {
        waitMs = Number(
          await withTimeout(
            takeToken([`${options.prefix}send-rate:${userId}`], perSecond, burst),
            redisCheckTimeoutMs,
          ),
        );
      } catch {
        throw new MessageError('unavailable', 'Cannot send right now; retry shortly', undefined, {
          retryAfterSeconds: 1,
        });
      }
      if (waitMs > 0) {
        throw new MessageError('rate_limited', 'Sending too fast; wait a moment and retry', undefined, {
          retryAfterSeconds: Math.ceil(waitMs / 1000),
        });
      }
    },
  };
}

export type SendRateLimit = ReturnType<typeof createSendRateLimit>;
