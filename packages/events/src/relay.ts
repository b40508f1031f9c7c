import type { Logger } from '@palaver/logger';
import { startPeriodicTask } from '@palaver/service-kit';

export interface RelayOptions<T> {
  /** Items stored as "not yet published", oldest first, at most a batch. */
  pending: () => Promise<T[]>;
  /** Publishes one item and marks it published; throws to retry it on the next pass. */
  publish: (item: T) => Promise<void>;
  /** Names an item, so a pass can tell a new batch from one it could not clear. */
  key: (item: T) => string;
  /**
   * Items whose order matters share a lane (e.g. a conversation's events): a lane is
   * published in order, different lanes at the same time. One lane when omitted.
   */
  lane?: (item: T) => string;
  /** Runs a pass as soon as the broker (re)connects, rather than at the next interval. */
  broker?: { onConnected(listener: () => void): void };
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
 * "nothing acknowledged is lost" when the broker was down at write time. A pass starts
 * when the broker comes back and drains the backlog batch after batch, oldest first, until
 * it is empty or a batch clears nothing new. Within a batch the lanes go out at once, each
 * in order, so a backlog after an outage costs a round trip per event of one lane, not of all.
 */
export function startRelay<T>(options: RelayOptions<T>): Relay {
  const { lane = () => '' } = options;
  let stopped = false;

  /** Publishes a batch lane by lane; a failed lane keeps its rest, and the pass ends after the others. */
  async function publishBatch(items: T[]): Promise<number> {
    let published = 0;
    const lanes = Map.groupBy(items, lane);
    const outcomes = await Promise.allSettled(
      [...lanes.values()].map(async (inOrder) => {
        for (const item of inOrder) {
          if (stopped) return;
          await options.publish(item);
          published++;
        }
      }),
    );
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
    return published;
  }

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
        published += await publishBatch(items);
        previous = new Set(items.map(options.key));
      }
      return published;
    },
  });
  options.broker?.onConnected(() => {
    if (stopped) return;
    // A pass already under way may have found the broker still down: a fresh one follows it.
    task
      .runNow()
      .catch(() => 0)
      .then(() => task.runNow())
      .catch((err) => options.logger.warn({ err }, 'relay pass failed; will retry'));
  });
  return {
    flush: task.runNow,
    stop: async () => {
      stopped = true;
      await task.stop();
    },
  };
}
