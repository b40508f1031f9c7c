import type { Redis } from 'ioredis';

export type RedisScript = (keys: string[], ...args: (string | number)[]) => Promise<unknown>;

/**
 * Registers a Lua script on a client (ioredis sends EVALSHA and falls back to EVAL
 * when the server has not seen it) and returns a typed caller.
 */
export function defineRedisScript(redis: Redis, name: string, keyCount: number, lua: string): RedisScript {
  redis.defineCommand(name, { numberOfKeys: keyCount, lua });
  const command = (redis as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[name];
  if (!command) throw new Error(`redis script ${name} was not registered`);
  return (keys, ...args) => command.call(redis, ...keys, ...args);
}

/**
 * How long a request waits on Redis before it is refused as unavailable: a check on every
 * request must fail fast rather than hold requests while Redis is unreachable.
 */
export const redisCheckTimeoutMs = 1000;

/** Rejects when `promise` has not settled within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
