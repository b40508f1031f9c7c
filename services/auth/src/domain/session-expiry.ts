import type { Logger } from '@palaver/logger';
import type { SessionStore } from '../store/session-store.ts';

/**
 * Deletes expired sessions and refresh tokens on an interval. A sweep rather than a TTL
 * index: it runs the same on every store (FerretDB v1 has no TTL deletion), and it keeps a
 * revoked session until its revocation has been announced.
 */
export function startSessionExpiry(deps: { store: SessionStore; intervalMs: number; logger: Logger }) {
  let running: Promise<unknown> | undefined;
  const sweep = (now = new Date()) => {
    running ??= deps.store
      .deleteExpired(now)
      .then((deleted) => {
        if (deleted.sessions + deleted.refreshTokens > 0)
          deps.logger.info(deleted, 'expired sessions deleted');
        return deleted;
      })
      .finally(() => {
        running = undefined;
      });
    return running as Promise<{ sessions: number; refreshTokens: number }>;
  };
  const timer = setInterval(() => {
    sweep().catch((err) => deps.logger.warn({ err }, 'expired session sweep failed; will retry'));
  }, deps.intervalMs);
  timer.unref();
  return {
    sweep,
    stop: async () => {
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}

export type SessionExpiry = ReturnType<typeof startSessionExpiry>;
