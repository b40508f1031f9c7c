import type { Logger } from '@palaver/logger';
import { startPeriodicTask } from '@palaver/service-kit';

export interface RelayOptions<T> {
  /** Items stored as "not yet published", oldest first, at most a batch. */
  pending: () => Promise<T[]>;
  /** Publishes one item and marks it published; throws to retry it on the next pass. */
  publish: (item: T) => Promise<void>;
  intervalMs: number;
  logger: Logger;
}

export interface Relay {
  /** Runs one pass now (also used by tests and after a reconnect). */
  flush: () => Promise<number>;
  stop: () => Promise<void>;
}

/**
 * Republishes whatever was stored but not yet published: the durable half of
 * "nothing acknowledged is lost" when the broker was down at write time.
 */
export function startRelay<T>(options: RelayOptions<T>): Relay {
  let stopped = false;
  const task = startPeriodicTask({
    intervalMs: options.intervalMs,
    logger: options.logger,
    failure: 'relay pass failed; will retry',
    run: async () => {
      let published = 0;
      for (const item of await options.pending()) {
        if (stopped) break;
        await options.publish(item);
        published++;
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
