import type { PresenceStatus } from '@palaver/contracts';
import type { GatewayMetrics } from '../gateway-metrics.ts';
import { type GatewayServer, watchRoom } from '../realtime/rooms.ts';

export interface PresenceAnnouncer {
  announce(userId: string, status: PresenceStatus): void;
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
  };
}
