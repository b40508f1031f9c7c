import type { Logger } from '@palaver/logger';
import type { PresenceAnnouncer } from './presence-announcer.ts';
import type { PresenceRegistry } from './presence-registry.ts';

/**
 * The replica's presence duties on a timer: renew its heartbeat, and reap replicas that
 * stopped beating (crashed, killed, partitioned) so their users do not stay online. A
 * replica that finds its own heartbeat reaped (it was paused past the timeout) registers
 * its live sockets again.
 */
export function startPresenceKeeper(options: {
  registry: PresenceRegistry;
  announcer: PresenceAnnouncer;
  intervalMs: number;
  reregisterLocalSockets: () => Promise<void>;
  logger: Logger;
}) {
  const { registry, announcer, logger } = options;
  let registered = false;
  let running: Promise<void> | undefined;

  async function tick() {
    const wasReaped = await registry.heartbeat();
    if (wasReaped && registered) {
      logger.warn('this replica was presumed dead; registering its sockets again');
      await options.reregisterLocalSockets();
    }
    registered = true;
    for (const userId of await registry.reapSilentReplicas()) announcer.announce(userId, 'offline');
  }

  const run = () => {
    if (running) return;
    running = tick()
      .catch((err) => logger.warn({ err }, 'presence heartbeat failed'))
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
