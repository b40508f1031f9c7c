import { createLogger } from '@palaver/logger';
import { describe, expect, it } from 'vitest';
import { startRelay } from './relay.ts';

const logger = createLogger('relay-test', 'silent');

/** A backlog as a store holds it: oldest first, handed out a batch at a time. */
function backlog(count: number, batchSize: number) {
  const waiting = Array.from({ length: count }, (_, i) => `event-${String(i).padStart(4, '0')}`);
  return {
    waiting,
    pending: async () => waiting.slice(0, batchSize),
    clear: (id: string) => waiting.splice(waiting.indexOf(id), 1),
  };
}

/** A relay over `store` that only runs when flushed. */
const relayOver = (store: ReturnType<typeof backlog>, publish: (id: string) => Promise<void>) =>
  startRelay({ intervalMs: 3_600_000, logger, pending: store.pending, key: (id) => id, publish });

describe('the relay', () => {
  it('drains a whole backlog in one pass, in order, batch after batch', async () => {
    const store = backlog(450, 100);
    const published: string[] = [];
    const relay = relayOver(store, async (id) => {
      published.push(id);
      store.clear(id);
    });
    expect(await relay.flush()).toBe(450);
    expect(published).toEqual([...published].sort());
    expect(store.waiting).toEqual([]);
    await relay.stop();
  });

  it('ends a pass when a batch clears nothing (items kept back on purpose)', async () => {
    const store = backlog(300, 100);
    let calls = 0;
    const relay = relayOver(store, async () => {
      calls++; // published elsewhere later: nothing is cleared now
    });
    expect(await relay.flush()).toBe(100);
    expect(calls).toBe(100);
    await relay.stop();
  });

  it('stops at the first failure, keeping the rest for the next pass', async () => {
    const store = backlog(10, 5);
    const relay = relayOver(store, async (id) => {
      if (id === 'event-0003') throw new Error('broker gone');
      store.clear(id);
    });
    await expect(relay.flush()).rejects.toThrow('broker gone');
    expect(store.waiting[0]).toBe('event-0003');
    expect(store.waiting).toHaveLength(7);
    await relay.stop();
  });
});
