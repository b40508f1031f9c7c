import type { Logger } from '@palaver/logger';
import { startPeriodicTask } from '@palaver/service-kit';
import type { SessionStore } from '../store/session-store.ts';

/**
 * Deletes expired sessions and refresh tokens on an interval. A sweep rather than a TTL
 * index: it runs the same on every store (FerretDB v1 has no TTL deletion), and it keeps a
 * revoked session until its revocation has been announced.
 */
export function startSessionExpiry(deps: { store: SessionStore; intervalMs: number; logger: Logger }) {
  const task = startPeriodicTask({
    intervalMs: deps.intervalMs,
    logger: deps.logger,
    failure: 'expired session sweep failed; will retry',
    run: async () => {
      const deleted = await deps.store.deleteExpired(new Date());
      if (deleted.sessions + deleted.refreshTokens > 0) deps.logger.info(deleted, 'expired sessions deleted');
      return deleted;
    },
  });
  return { sweep: task.runNow, stop: task.stop };
}

export type SessionExpiry = ReturnType<typeof startSessionExpiry>;
