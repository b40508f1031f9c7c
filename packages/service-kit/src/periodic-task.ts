import type { Logger } from '@palaver/logger';

export interface PeriodicTask<T> {
  /** Runs the task now, or joins the run in progress (never two at once). */
  runNow: () => Promise<T>;
  /** Stops the interval and waits for a run in progress. */
  stop: () => Promise<void>;
}

/**
 * Background work on an interval: one run at a time, a failure logged as a warning and
 * retried on the next tick, and a timer that does not keep the process alive.
 */
export function startPeriodicTask<T>(options: {
  intervalMs: number;
  logger: Logger;
  /** The warning logged when a run fails. */
  failure: string;
  run: () => Promise<T>;
  /** Also run once at start instead of waiting a whole interval. */
  runAtStart?: boolean;
}): PeriodicTask<T> {
  let running: Promise<T> | undefined;
  const runNow = () => {
    running ??= options.run().finally(() => {
      running = undefined;
    });
    return running;
  };
  const tick = () => {
    runNow().catch((err) => options.logger.warn({ err }, options.failure));
  };
  const timer = setInterval(tick, options.intervalMs);
  timer.unref();
  if (options.runAtStart) tick();
  return {
    runNow,
    stop: async () => {
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
