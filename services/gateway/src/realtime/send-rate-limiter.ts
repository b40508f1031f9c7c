import type { Redis } from 'ioredis';
import { defineRedisScript } from '../redis-script.ts';

/**
 * A token bucket per user in Redis, so the limit holds however many replicas the
 * user's sockets are spread over. One script call per send: refill by elapsed time
 * (Redis' own clock, so replicas' clocks do not matter), then take a token if any.
 */
const takeTokenScript = `
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local now = redis.call('TIME')
local nowMs = now[1] * 1000 + math.floor(now[2] / 1000)
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or burst
local at = tonumber(bucket[2]) or nowMs
tokens = math.min(burst, tokens + (nowMs - at) * rate / 1000)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', nowMs)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return allowed`;

export type SendRateLimiter = (userId: string) => Promise<boolean>;

export function createSendRateLimiter(options: {
  redis: Redis;
  perSecond: number;
  burst: number;
}): SendRateLimiter {
  const { perSecond, burst } = options;
  const takeToken = defineRedisScript(options.redis, 'palaverTakeSendToken', 1, takeTokenScript);
  return async (userId) => (await takeToken([`send-rate:${userId}`], perSecond, burst)) === 1;
}
