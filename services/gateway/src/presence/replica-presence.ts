import type { Logger } from '@palaver/logger';
import { redisCheckTimeoutMs, withTimeout } from '@palaver/service-kit';
import type { PresenceAnnouncer } from './presence-announcer.ts';
import type { PresenceRegistry } from './presence-registry.ts';

export interface LocalSocket {
  userId: string;
  socketId: string;
}

/** Users whose statuses are read from the registry in one round trip when replaying. */
const replayBatch = 500;

// Over 80 lines as a whole: a factory whose methods (each short) share its dependencies.
/**
 * This replica's sockets in the shared registry, kept true through Redis failures. A
 * socket that comes or goes while Redis cannot be reached is remembered; once Redis
 * answers again (or turns out to have lost its data) `reconcile` makes the registry match
 * the sockets this replica really holds, and tells contacts who went offline meanwhile.
 *
 * Those announcements are Redis pub/sub: a replica whose own adapter reconnects later
 * than the announcing one misses them. So one heartbeat after reconciling — when every
 * live replica has re-registered its sockets too — `replayIfDue` tells this replica's own
 * watchers the registry's statuses of everyone they watch.
 */
export function createReplicaPresence(options: {
  registry: PresenceRegistry;
  announcer: PresenceAnnouncer;
  /** The sockets connected to this replica now. */
  localSockets: () => Iterable<LocalSocket>;
  /**
   * Whether announcements reach other replicas now (the adapter's Redis connections are
   * up): reconciling waits for it, or the offline news of who left would be lost.
   */
  canAnnounce: () => boolean;
  /** The users this replica's sockets watch (their `watch:<user>` rooms). */
  watchedUsers: () => Iterable<string>;
  logger: Logger;
}) {
  const { registry, announcer, logger } = options;
  /** Sockets gone while Redis could not be told, by socket id. */
  const departed = new Map<string, string>();
  let stale = false;
  let replayDue = false;

  const leave = async (userId: string, socketId: string) => {
    if (await registry.disconnect(userId, socketId)) announcer.announce(userId, 'offline');
  };

  return {
    /** Whether the registry may disagree with this replica (a Redis failure since the last reconcile). */
    get stale() {
      return stale;
    },
    markStale() {
      stale = true;
    },

    /** Registers a socket; returns the user's live sockets, or undefined when Redis failed. */
    async connect(userId: string, socketId: string): Promise<number | undefined> {
      try {
        const sockets = await registry.connect(userId, socketId);
        if (sockets === 1) announcer.announce(userId, 'online');
        return sockets;
      } catch (err) {
        stale = true;
        logger.warn({ err, userId }, 'presence not registered; retried when Redis answers');
        return undefined;
      }
    },

    async disconnect(userId: string, socketId: string) {
      try {
        // Fails fast while Redis is away (a queued command would run, unannounced, on its return).
        await withTimeout(leave(userId, socketId), redisCheckTimeoutMs);
      } catch (err) {
        departed.set(socketId, userId);
        stale = true;
        logger.warn({ err, userId }, 'presence not updated on disconnect; retried when Redis answers');
      }
    },

    /** After a reconcile, tells this replica's watchers what they may have missed; throws if Redis fails. */
    async replayIfDue() {
      if (!replayDue || stale) return;
      const watched = [...options.watchedUsers()];
      for (let i = 0; i < watched.length; i += replayBatch) {
        announcer.replay(await registry.statusOf(watched.slice(i, i + replayBatch)));
      }
      replayDue = false;
    },

    /** Makes the registry match this replica's sockets; throws (staying stale) if Redis fails. */
    async reconcile() {
      if (!options.canAnnounce()) throw new Error('the adapter is not connected to Redis yet');
      stale = false;
      replayDue = true;
      try {
        for (const [socketId, userId] of departed) {
          await leave(userId, socketId);
          departed.delete(socketId);
        }
        const local = new Map([...options.localSockets()].map((s) => [s.socketId, s.userId]));
        const registered = new Set<string>();
        for (const { userId, socketId } of await registry.ownSockets()) {
          registered.add(socketId);
          // Registered but gone: e.g. Redis came back from a snapshot taken before it left.
          if (!local.has(socketId)) await leave(userId, socketId);
        }
        for (const [socketId, userId] of local) {
          if (registered.has(socketId)) continue;
          if ((await registry.connect(userId, socketId)) === 1) announcer.announce(userId, 'online');
        }
      } catch (err) {
        stale = true;
        throw err;
      }
    },
  };
}

export type ReplicaPresence = ReturnType<typeof createReplicaPresence>;
