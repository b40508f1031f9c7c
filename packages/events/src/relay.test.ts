import { createLogger } from '@palaver/logger';
import { describe, expect, it, vi } from 'vitest';
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

  it('publishes lanes at the same time, each in order, and keeps a failed lane for the next pass', async () => {
    const store = backlog(12, 12);
    const laneOf = (id: string) => `lane-${Number(id.slice(-4)) % 3}`;
    const published: string[] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    const relay = startRelay({
      intervalMs: 3_600_000,
      logger,
      pending: store.pending,
      key: (id) => id,
      lane: laneOf,
      publish: async (id) => {
        inFlight++;
        mostInFlight = Math.max(mostInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight--;
        if (id === 'event-0004') throw new Error('broker gone'); // lane-1's second item
        published.push(id);
        store.clear(id);
      },
    });
    await expect(relay.flush()).rejects.toThrow('broker gone');
    expect(mostInFlight).toBe(3);
    for (const name of ['lane-0', 'lane-2']) {
      const lane = published.filter((id) => laneOf(id) === name);
      expect(lane).toHaveLength(4);
      expect(lane).toEqual([...lane].sort());
    }
    // lane-1 stopped at its failure: its first item went out, the failed one and later stay.
    expect(published.filter((id) => laneOf(id) === 'lane-1')).toEqual(['event-0001']);
    expect(store.waiting).toEqual(['event-0004', 'event-0007', 'event-0010']);
    await relay.stop();
  });

  it('runs a pass as soon as the broker connects again, not at the next interval', async () => {
    const store = backlog(5, 100);
    let reconnected: (() => void) | undefined;
    const relay = startRelay({
      intervalMs: 3_600_000,
      logger,
      pending: store.pending,
      key: (id) => id,
      publish: async (id) => {
        store.clear(id);
      },
      broker: { onConnected: (listener) => (reconnected = listener) },
    });
    expect(store.waiting).toHaveLength(5);
    reconnected?.();
    await vi.waitFor(() => expect(store.waiting).toEqual([]), { timeout: 1_000 });
    await relay.stop();
  });
});
