import { type Broker, type Relay, startRelay } from '@palaver/events';
import type { Logger } from '@palaver/logger';
import type { AnnounceRevocation } from '../domain/sessions.ts';
import type { SessionStore } from '../store/session-store.ts';

/**
 * Publishes `auth.session.revoked` with confirms. The event id is derived from the
 * session, so a republished revocation is recognisably the same event to consumers.
 */
export function revocationAnnouncer(broker: Broker): AnnounceRevocation {
  return ({ sessionId, userId, reason, revokedAt }) =>
    broker.publish(
      'auth.session.revoked',
      { sessionId, userId, reason, revokedAt: revokedAt.toISOString() },
      `auth.session.revoked:${sessionId}`,
    );
}

/** Republishes revocations stored while the broker was unreachable. */
export function startRevocationRelay(deps: {
  broker: Broker;
  store: SessionStore;
  intervalMs: number;
  logger: Logger;
}): Relay {
  const announce = revocationAnnouncer(deps.broker);
  return startRelay({
    intervalMs: deps.intervalMs,
    logger: deps.logger,
    pending: async () => (deps.broker.connected ? deps.store.unpublishedRevocations(100) : []),
    publish: async (session) => {
      await announce({
        sessionId: session._id,
        userId: session.userId.toHexString(),
        reason: session.revokeReason ?? 'logout',
        revokedAt: session.revokedAt ?? new Date(),
      });
      await deps.store.markRevocationPublished(session._id);
    },
  });
}
