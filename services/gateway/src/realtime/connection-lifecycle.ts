import type { Logger } from '@palaver/logger';
import type { MessageApi } from '../clients/message-api.ts';
import type { GatewayMetrics } from '../gateway-metrics.ts';
import type { PresenceAudience } from '../presence/presence-audience.ts';
import type { ReplicaPresence } from '../presence/replica-presence.ts';
import { type ClientEventDeps, createClientEvents } from './client-events.ts';
import type { MemberDirectory } from './member-directory.ts';
import { type GatewayServer, type GatewaySocket, sessionRoom, userRoom, watchRoom } from './rooms.ts';
import { createTypingTracker } from './typing-tracker.ts';

export interface ConnectionDeps extends ClientEventDeps {
  io: GatewayServer;
  replicaPresence: ReplicaPresence;
  members: MemberDirectory;
  messageApi: MessageApi;
  typingTtlMs: number;
  typingThrottleMs: number;
  /** Who sees whose presence: a new socket watches its user's contacts. */
  audience: PresenceAudience;
  /** Live sockets per user across replicas (handshakes beyond it are refused first). */
  maxSocketsPerUser: number;
  /** While draining, sockets leave without being marked offline: they reconnect elsewhere. */
  isDraining: () => boolean;
  metrics: GatewayMetrics;
  logger: Logger;
}

// setTimeout's ceiling; access tokens live minutes, but a clock far off must not overflow it.
const maxTimerMs = 2 ** 31 - 1;

/** What happens between a socket's handshake and its disconnect. */
export function handleConnections(deps: ConnectionDeps) {
  const events = createClientEvents(deps);
  deps.io.on('connection', (socket) => {
    onConnection(socket, deps, events).catch((err) =>
      deps.logger.error({ err, userId: socket.data.userId }, 'socket setup failed'),
    );
  });
}

async function onConnection(
  socket: GatewaySocket,
  deps: ConnectionDeps,
  events: ReturnType<typeof createClientEvents>,
) {
  const { replicaPresence } = deps;
  const user = socket.data;
  socket.join([userRoom(user.userId), sessionRoom(user.sessionId)]);

  let expiry: NodeJS.Timeout | undefined;
  const scheduleExpiry = () => {
    clearTimeout(expiry);
    const remainingMs = Math.min(maxTimerMs, Math.max(0, user.expiresAt * 1000 - Date.now()));
    expiry = setTimeout(() => {
      socket.emit('auth:expired', { expiredAt: new Date(user.expiresAt * 1000).toISOString() });
      socket.disconnect(true);
    }, remainingMs);
  };
  scheduleExpiry();

  // Whether the socket has joined its contacts' watch rooms (false: that failed).
  const contactsJoined = Promise.withResolvers<boolean>();
  // Made on the first typing event: most sockets never type.
  let typing: ReturnType<typeof socketTyping> | undefined;
  events.attach(socket, {
    typing(conversationId, isTyping) {
      typing ??= socketTyping(socket, deps, contactsJoined.promise);
      return typing.update(conversationId, isTyping);
    },
    tokenRefreshed(previousSessionId) {
      if (previousSessionId !== user.sessionId) {
        socket.leave(sessionRoom(previousSessionId));
        socket.join(sessionRoom(user.sessionId));
      }
      scheduleExpiry();
    },
  });

  socket.on('disconnect', () => {
    clearTimeout(expiry);
    typing?.stopAll();
    if (deps.isDraining()) return;
    void replicaPresence.disconnect(user.userId, socket.id);
  });

  // Undefined when Redis failed: the keeper registers the socket once it answers.
  const sockets = await replicaPresence.connect(user.userId, socket.id);
  // Handshakes that raced past the cap together: whichever registered above it leaves.
  if (sockets !== undefined && sockets > deps.maxSocketsPerUser) socket.disconnect(true);
  if (!socket.connected) {
    contactsJoined.resolve(false);
    // Gone while we registered it: the disconnect handler may have run first.
    await replicaPresence.disconnect(user.userId, socket.id);
    return;
  }
  await watchContacts(socket, deps, contactsJoined);
}

/** After a failed contacts lookup: about 1 s, 2 s, … 30 s (± 50%), then given up. */
const contactsRetryMs = [1_000, 2_000, 4_000, 8_000, 16_000, 30_000];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Joins the socket to its contacts' watch rooms, retrying while it stays: the lookup fails
 * when the message service sheds load (a reconnect storm), and a socket left without it
 * would show its user nobody's presence for as long as it lives. `joined` answers once,
 * with the first attempt: typing does not wait for the retries.
 */
async function watchContacts(
  socket: GatewaySocket,
  deps: ConnectionDeps,
  joined: PromiseWithResolvers<boolean>,
) {
  for (const retryMs of [...contactsRetryMs, undefined]) {
    try {
      await deps.audience.joinContacts(socket);
      joined.resolve(true);
      return;
    } catch (error) {
      joined.resolve(false);
      if (retryMs === undefined) throw error;
    }
    // Jittered: the failures of a storm do not come back together.
    await sleep(retryMs * (0.5 + Math.random()));
    if (!socket.connected) return;
  }
}

/**
 * A socket's typing indicators: sent to the other members' sockets only, through the
 * adapter (any replica), throttled and lapsing by themselves.
 */
function socketTyping(socket: GatewaySocket, deps: ConnectionDeps, contactsJoined: Promise<boolean>) {
  const user = socket.data;
  const audiences = new Map<string, string[]>();
  const tracker = createTypingTracker({
    ttlMs: deps.typingTtlMs,
    throttleMs: deps.typingThrottleMs,
    relay: (conversationId, isTyping) => {
      const rooms = (audiences.get(conversationId) ?? []).map(userRoom);
      if (!isTyping) audiences.delete(conversationId);
      if (rooms.length === 0) return;
      deps.io.to(rooms).emit('typing', { conversationId, userId: user.userId, isTyping });
      deps.metrics.eventsOut.inc({ event: 'typing' });
    },
  });
  return {
    async update(conversationId: string, isTyping: boolean) {
      if (isTyping) {
        const members = await deps.members.membersFor(user.token, user.userId, conversationId);
        const others = members.filter((memberId) => memberId !== user.userId);
        // One to one, typing follows presence: this socket does not watch someone who blocks
        // or is blocked by its user (either way), and neither is told of the other's typing.
        // Unknown (the contacts could not be read): told, as before blocks existed.
        const [only] = others;
        const blocked =
          others.length === 1 &&
          only !== undefined &&
          (await contactsJoined) &&
          !socket.rooms.has(watchRoom(only));
        audiences.set(conversationId, blocked ? [] : others);
      } else if (!audiences.has(conversationId)) {
        return;
      }
      tracker.update(conversationId, isTyping);
    },
    stopAll: () => tracker.stopAll(),
  };
}
