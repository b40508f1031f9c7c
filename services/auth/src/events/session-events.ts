import { type Broker, type Relay, startRelay } from '@palaver/events';
import type { Logger } from '@palaver/logger';
import { type RevocationList, startPeriodicTask } from '@palaver/service-kit';
import type { AnnounceRevocation } from '../domain/sessions.ts';
import type { SessionStore } from '../store/session-store.ts';

export interface RevocationDeps {
  broker: Broker;
  list: RevocationList;
  store: SessionStore;
  accessTokenTtlSeconds: number;
}

/** Margin for clock skew between services and for a refresh racing the revocation. */
const listMarginSeconds = 60;

/**
 * How long an ended session stays listed: until every access token issued to it has
 * expired (issued at the latest at `revokedAt`, living `accessTokenTtlSeconds`).
 */
const listedFor = (revokedAt: Date, accessTokenTtlSeconds: number, now = Date.now()) =>
  (revokedAt.getTime() - now) / 1000 + accessTokenTtlSeconds + listMarginSeconds;

/**
 * Lists the session as ended in Redis — from then on every service refuses its tokens —
 * and publishes `auth.session.revoked` with confirms (gateways close its live sockets).
 * The event id is derived from the session, so a republished revocation is recognisably
 * the same event to consumers. Throws when either is unreachable.
 */
export function revocationAnnouncer(deps: RevocationDeps): AnnounceRevocation {
  return async ({ sessionId, userId, reason, revokedAt }) => {
    await deps.list.revoke(sessionId, listedFor(revokedAt, deps.accessTokenTtlSeconds));
    await deps.broker.publish(
      'auth.session.revoked',
      { sessionId, userId, reason, revokedAt: revokedAt.toISOString() },
      `auth.session.revoked:${sessionId}`,
    );
  };
}

/** Announces revocations stored while Redis or the broker was unreachable. */
export function startRevocationRelay(deps: RevocationDeps & { intervalMs: number; logger: Logger }): Relay {
  const announce = revocationAnnouncer(deps);
  return startRelay({
    intervalMs: deps.intervalMs,
    logger: deps.logger,
    pending: () => deps.store.unpublishedRevocations(100),
    key: (session) => session._id,
    // Each revocation stands alone: no order to keep between them.
    lane: (session) => session._id,
    broker: deps.broker,
    publish: async (session) => {
      const revoked = {
        sessionId: session._id,
        userId: session.userId.toHexString(),
        reason: session.revokeReason ?? 'logout',
        revokedAt: session.revokedAt ?? new Date(),
      };
      if (!deps.broker.connected) {
        // Listed now (Redis may have been the one down); announced once the broker is back.
        await deps.list.revoke(revoked.sessionId, listedFor(revoked.revokedAt, deps.accessTokenTtlSeconds));
        return;
      }
      await announce(revoked);
      await deps.store.markRevocationPublished(session._id);
    },
  });
}

/**
 * Keeps the revocation list complete. A Redis that lost its data (restarted without
 * persistence, failed over to an empty replica) lacks the list's marker, and every
 * service then refuses tokens as unverifiable; this refills the list from the sessions
 * revoked within an access-token lifetime and sets the marker again. Runs at start and on
 * an interval, on every auth replica (the refill is idempotent).
 */
export function startRevocationListKeeper(
  deps: Pick<RevocationDeps, 'list' | 'store' | 'accessTokenTtlSeconds'> & {
    intervalMs: number;
    logger: Logger;
  },
) {
  const task = startPeriodicTask({
    intervalMs: deps.intervalMs,
    logger: deps.logger,
    failure: 'revocation list check failed; will retry',
    runAtStart: true,
    run: async () => {
      if (await deps.list.isComplete()) return false;
      const now = Date.now();
      const since = new Date(now - (deps.accessTokenTtlSeconds + listMarginSeconds) * 1000);
      const revoked = await deps.store.revokedSince(since);
      for (const session of revoked) {
        await deps.list.revoke(
          session._id,
          listedFor(session.revokedAt as Date, deps.accessTokenTtlSeconds, now),
        );
      }
      await deps.list.markComplete();
      deps.logger.info({ sessions: revoked.length }, 'revocation list refilled');
      return true;
    },
  });
  /** `check` refills the list if its marker is gone and resolves true if it did. */
  return { check: task.runNow, stop: task.stop };
}

export type RevocationListKeeper = ReturnType<typeof startRevocationListKeeper>;
