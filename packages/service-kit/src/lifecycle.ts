import type { Logger } from '@palaver/logger';
import closeWithGrace from 'close-with-grace';
import type { HealthState } from './health.ts';

export interface RunOptions {
  logger: Logger;
  health: HealthState;
  /** Starts listening; called once. */
  start: () => Promise<void>;
  /** Closes the server and dependencies, in that order. */
  stop: () => Promise<void>;
  /** Time to keep answering while `/readyz` says draining, so the edge moves traffic away. */
  drainDelayMs?: number;
  /** After this, shutdown gives up and the process exits non-zero. */
  shutdownTimeoutMs?: number;
}

/** Runs a service until SIGTERM/SIGINT, then turns unready, drains, closes and exits. */
export async function runUntilSignalled(options: RunOptions) {
  const { logger, health } = options;
  closeWithGrace({ delay: options.shutdownTimeoutMs ?? 15_000, logger }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'fatal error, shutting down');
    else logger.info({ signal }, 'shutting down');
    health.draining = true;
    const delay = options.drainDelayMs ?? 0;
    if (delay > 0 && !err) await new Promise((resolve) => setTimeout(resolve, delay));
    await options.stop();
    logger.info('stopped');
  });
  await options.start();
}

/** Ends a process whose start failed: one line, exit 1 (config errors name the variable). */
export function exitOnStartupFailure(service: string) {
  return (error: unknown) => {
    const line =
      (error as Error).name === 'ConfigError'
        ? (error as Error).message
        : `failed to start: ${(error as Error).stack ?? String(error)}`;
    process.stderr.write(`${service}: ${line}\n`);
    process.exit(1);
  };
}
