import type { PresenceStatus } from '@palaver/contracts';
import type { GatewayMetrics } from '../gateway-metrics.ts';
import { type GatewayServer, watchRoom } from '../realtime/rooms.ts';
import type { UserPresence } from './presence-registry.ts';

export interface PresenceAnnouncer {
  announce(userId: string, status: PresenceStatus): void;
  /** Tells this replica's own watchers the given statuses again (no broadcast to other replicas). */
  replay(presences: UserPresence[]): void;
}

/**
 * Tells the people who share a conversation with a user that they came or went. Their
 * sockets joined `watch:<user>` on connect, so one adapter broadcast reaches them on
 * every replica and nobody else.
 */
export function createPresenceAnnouncer(io: GatewayServer, metrics: GatewayMetrics): PresenceAnnouncer {
  return {
    announce(userId, status) {
      io.to(watchRoom(userId)).emit('user:status', { userId, status, lastSeenAt: new Date().toISOString() });
      metrics.eventsOut.inc({ event: 'user:status' });
    },
    replay(presences) {
      for (const presence of presences) io.local.to(watchRoom(presence.userId)).emit('user:status', presence);
      metrics.eventsOut.inc({ event: 'user:status' }, presences.length);
    },
  };
}
