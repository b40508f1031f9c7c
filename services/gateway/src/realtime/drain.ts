import type { PresenceAnnouncer } from '../presence/presence-announcer.ts';
import type { PresenceRegistry } from '../presence/presence-registry.ts';
import type { GatewayServer } from './rooms.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pollMs = 250;

/**
 * Moves this replica's clients elsewhere before it stops: closes their transports, which
 * clients answer by reconnecting (through the edge, to another replica), spread over the
 * first half of `timeoutMs` so the others are not hit all at once. The replica's presence
 * entries keep its users online meanwhile; they are dropped once every user has a socket
 * on another replica, or when `timeoutMs` is up — then only those who did not come back
 * go offline, so a rolling restart makes nobody flap. The replica's heartbeat goes on
 * until then — silent past PRESENCE_TIMEOUT, it would be reaped by the others mid-drain
 * and every user not yet moved shown offline — and stops just before the entries are
 * dropped, as a later beat would register its sockets again.
 */
export async function drainReplica(
  deps: {
    io: GatewayServer;
    presence: Pick<PresenceRegistry, 'stranded' | 'forgetReplica'>;
    announcer: PresenceAnnouncer;
    replicaId: string;
    stopHeartbeat: () => Promise<void>;
  },
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const sockets = [...deps.io.of('/').sockets.values()];
  const spacingMs = sockets.length > 0 ? timeoutMs / 2 / sockets.length : 0;
  for (const socket of sockets) {
    socket.conn.close();
    if (spacingMs >= 1) await sleep(spacingMs);
  }
  while (Date.now() < deadline) {
    // A handshake that passed just before the drain began: its socket is moved on too.
    for (const socket of deps.io.of('/').sockets.values()) socket.conn.close();
    // Redis failing here only means waiting until the deadline.
    const stranded = await deps.presence.stranded().catch(() => 1);
    if (stranded === 0 && deps.io.of('/').sockets.size === 0) break;
    await sleep(pollMs);
  }
  await deps.stopHeartbeat();
  for (const userId of await deps.presence.forgetReplica(deps.replicaId)) {
    deps.announcer.announce(userId, 'offline');
  }
}
