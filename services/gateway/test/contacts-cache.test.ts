import { isolatedEnvironment } from '@palaver/testing';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createContactsCache } from '../src/presence/contacts-cache.ts';

// Real Redis, under this file's own prefix.
const env = isolatedEnvironment('contacts-cache');
const redis = new Redis(env.redisUrl, { keyPrefix: env.redisPrefix });
afterAll(async () => {
  const keys = await redis.keys(`${env.redisPrefix}*`);
  if (keys.length > 0) await redis.del(...keys.map((key) => key.slice(env.redisPrefix.length)));
  await redis.quit();
});

let users = 0;
const user = () => `user-${Date.now()}-${users++}`;

describe('the contacts cache', () => {
  it('asks once, then serves every replica from Redis until the contacts change', async () => {
    const [replicaA, replicaB] = [createContactsCache(redis, 60), createContactsCache(redis, 60)];
    const ada = user();
    const load = vi.fn(async () => ['bob', 'carol']);
    expect(await replicaA.of(ada, load)).toEqual(['bob', 'carol']);
    expect(await replicaB.of(ada, load)).toEqual(['bob', 'carol']);
    expect(load).toHaveBeenCalledTimes(1);

    await replicaB.changed([ada, 'someone else']);
    const reload = vi.fn(async () => ['bob']);
    expect(await replicaA.of(ada, reload)).toEqual(['bob']);
    expect(await replicaB.of(ada, reload)).toEqual(['bob']);
    expect(reload).toHaveBeenCalledTimes(1);
  });

  it('never serves a list loaded before a change and written after it', async () => {
    const cache = createContactsCache(redis, 60);
    const ada = user();
    let answer!: (ids: string[]) => void;
    const slow = cache.of(ada, () => new Promise<string[]>((resolve) => (answer = resolve)));
    await vi.waitFor(() => expect(answer).toBeDefined());
    // The block lands while the old list is on its way back from the message service.
    await cache.changed([ada]);
    answer(['blocked-by-ada', 'bob']);
    expect(await slow).toEqual(['blocked-by-ada', 'bob']);
    const fresh = vi.fn(async () => ['bob']);
    expect(await cache.of(ada, fresh)).toEqual(['bob']);
    expect(fresh).toHaveBeenCalledTimes(1);
  });

  it('keeps an entry for its time to live only', async () => {
    const cache = createContactsCache(redis, 1);
    const ada = user();
    await cache.of(ada, async () => ['bob']);
    expect(await redis.ttl(`contacts:{${ada}}:list`)).toBe(1);
    await cache.changed([ada]);
    // The generation outlives the entries stamped before it.
    expect(await redis.ttl(`contacts:{${ada}}:gen`)).toBe(2);
  });
});
