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
