import type { Logger } from '@palaver/logger';
import type { PresenceAnnouncer } from './presence-announcer.ts';
import type { PresenceRegistry } from './presence-registry.ts';
import type { ReplicaPresence } from './replica-presence.ts';

/**
 * The replica's presence duties on a timer: renew its heartbeat, and reap replicas that
 * stopped beating (crashed, killed, partitioned) so their users do not stay online. After
 * a Redis failure, or on finding its own heartbeat gone (it was paused past the timeout,
 * or Redis restarted empty), the replica reconciles its sockets with the registry.
 */
export function startPresenceKeeper(options: {
  registry: PresenceRegistry;
  replica: ReplicaPresence;
  announcer: PresenceAnnouncer;
  intervalMs: number;
  /**
   * While draining, the registry keeps the sockets that have left (their users are on
   * their way to another replica): reconciling would drop them and show those users offline.
   */
  isDraining: () => boolean;
  logger: Logger;
}) {
  const { registry, replica, announcer, logger } = options;
  let registered = false;
  let running: Promise<void> | undefined;

  async function tick() {
    const wasReaped = await registry.heartbeat();
    if (wasReaped && registered) {
      logger.warn('this replica was presumed dead or Redis lost its data; registering its sockets again');
      replica.markStale();
    }
    registered = true;
    // Before reconciling: a replay is due one tick after the reconcile that scheduled it.
    await replica.replayIfDue();
    if (replica.stale && !options.isDraining()) await replica.reconcile();
    for (const userId of await registry.reapSilentReplicas()) announcer.announce(userId, 'offline');
  }

  const run = () => {
    if (running) return;
    running = tick()
      .catch((err) => {
        replica.markStale();
        logger.warn({ err }, 'presence heartbeat failed');
      })
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(run, options.intervalMs);
  timer.unref();
  run();

  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
