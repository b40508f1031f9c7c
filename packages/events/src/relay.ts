import type { Logger } from '@palaver/logger';
import { startPeriodicTask } from '@palaver/service-kit';

export interface RelayOptions<T> {
  /** Items stored as "not yet published", oldest first, at most a batch. */
  pending: () => Promise<T[]>;
  /** Publishes one item and marks it published; throws to retry it on the next pass. */
  publish: (item: T) => Promise<void>;
  /** Names an item, so a pass can tell a new batch from one it could not clear. */
  key: (item: T) => string;
  intervalMs: number;
  logger: Logger;
}

export interface Relay {
  /** Runs one pass now (also used by tests and after a reconnect). */
  flush: () => Promise<number>;
  stop: () => Promise<void>;
}

/** Batches one pass may take: a bound, so a pass over a huge backlog still ends. */
const maxBatchesPerPass = 100;

/**
 * Republishes whatever was stored but not yet published: the durable half of
 * "nothing acknowledged is lost" when the broker was down at write time. A pass drains the
 * backlog batch after batch, oldest first and one at a time (so events keep their order),
 * until it is empty or a batch clears nothing new — not one batch per interval, which made
 * a large backlog after an outage take minutes.
 */
export function startRelay<T>(options: RelayOptions<T>): Relay {
  let stopped = false;
  const task = startPeriodicTask({
    intervalMs: options.intervalMs,
    logger: options.logger,
    failure: 'relay pass failed; will retry',
    run: async () => {
      let published = 0;
      let previous = new Set<string>();
      for (let batch = 0; batch < maxBatchesPerPass && !stopped; batch++) {
        const items = await options.pending();
        // Empty, or the same items again (kept back on purpose, e.g. while the broker is down).
        if (items.length === 0 || items.every((item) => previous.has(options.key(item)))) break;
        for (const item of items) {
          if (stopped) break;
          await options.publish(item);
          published++;
        }
        previous = new Set(items.map(options.key));
      }
      return published;
    },
  });
  return {
    flush: task.runNow,
    stop: async () => {
      stopped = true;
      await task.stop();
    },
  };
}
