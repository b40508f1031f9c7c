import type { Conversation, EventData, EventEnvelope, EventType } from '@palaver/contracts';
import type { GatewayMetrics } from '../gateway-metrics.ts';
import type { PresenceAudience } from '../presence/presence-audience.ts';
import type { MemberDirectory } from '../realtime/member-directory.ts';
import { type GatewayServer, sessionRoom, userRoom } from '../realtime/rooms.ts';
import type { EventClaims } from './event-claims.ts';

/**
 * How events reach sockets. `replica-queue`: every replica consumes every event from its
 * own queue and emits to its own sockets only (no Redis hop). `shared-queue`: replicas
 * compete for events on one queue and broadcast through the Redis adapter.
 * docs/architecture.md compares their cost.
 */
export type FanoutMode = 'replica-queue' | 'shared-queue';

/** Local emits reach this replica's sockets; adapter emits reach every replica's. */
export const fanoutScope = (io: GatewayServer, mode: FanoutMode) =>
  mode === 'replica-queue' ? io.local : io;

/**
 * The events a gateway routes, bound by name: a wildcard would also bring what is not for
 * clients (`message.snapshot`, a whole history when the search index is rebuilt).
 */
export const fanoutBindings = [
  'message.created',
  'message.updated',
  'message.deleted',
  'message.delivered',
  'message.reaction',
  'message.thread',
  'conversation.created',
  'conversation.updated',
  'conversation.read',
  'conversation.member_added',
  'conversation.member_removed',
  'conversation.muted',
  'user.blocked',
  'user.updated',
  'auth.session.revoked',
] as const satisfies readonly EventType[];

type RoutedEvent = (typeof fanoutBindings)[number];

// Over 80 lines as a whole: a factory whose methods (each short) share its dependencies.
export function createEventFanout(deps: {
  io: GatewayServer;
  mode: FanoutMode;
  members: MemberDirectory;
  metrics: GatewayMetrics;
  /** Who sees whose presence, as conversations and blocks change. */
  audience: PresenceAudience;
  /** Skips events already handled (local memory with a queue per replica, Redis with a shared one). */
  claims: EventClaims;
}) {
  const { io, metrics, audience } = deps;
  const scope = fanoutScope(io, deps.mode);

  const toMembers = (memberIds: string[]) => scope.to(memberIds.map(userRoom));

  function conversationChanged(conversation: Conversation) {
    deps.members.remember(
      conversation.id,
      conversation.members.map((member) => member.userId),
    );
  }

  // Exactly one route per bound event: the compiler holds the two lists together.
  const routes: { [T in RoutedEvent]: (data: EventData<T>) => void | Promise<void> } = {
    'message.created': ({ message, memberIds }) => {
      toMembers(memberIds).emit('message:received', { message });
      metrics.eventsOut.inc({ event: 'message:received' });
      metrics.deliveryLatency.observe(Math.max(0, Date.now() - Date.parse(message.createdAt)) / 1000);
    },
    'message.updated': ({ message, changeSeq, memberIds }) => {
      toMembers(memberIds).emit('message:updated', { message, changeSeq });
      metrics.eventsOut.inc({ event: 'message:updated' });
    },
    'message.deleted': ({ message, changeSeq, memberIds }) => {
      toMembers(memberIds).emit('message:deleted', { message, changeSeq });
      metrics.eventsOut.inc({ event: 'message:deleted' });
    },
    'message.delivered': ({ conversationId, userId, deliveredSeq, memberIds }) => {
      toMembers(memberIds).emit('message:status', { conversationId, userId, deliveredSeq });
      metrics.eventsOut.inc({ event: 'message:status' });
    },
    'conversation.read': ({ conversationId, userId, readSeq, memberIds }) => {
      toMembers(memberIds).emit('message:status', { conversationId, userId, readSeq });
      metrics.eventsOut.inc({ event: 'message:status' });
    },
    'conversation.created': async ({ conversation, memberIds }) => {
      conversationChanged(conversation);
      toMembers(memberIds).emit('conversation:updated', { conversation });
      metrics.eventsOut.inc({ event: 'conversation:updated' });
      await audience.membersJoined(memberIds, memberIds);
    },
    'conversation.updated': ({ conversation, memberIds }) => {
      conversationChanged(conversation);
      toMembers(memberIds).emit('conversation:updated', { conversation });
      metrics.eventsOut.inc({ event: 'conversation:updated' });
    },
    'conversation.member_added': async ({ conversation, userIds, memberIds }) => {
      conversationChanged(conversation);
      toMembers(memberIds).emit('conversation:updated', { conversation });
      metrics.eventsOut.inc({ event: 'conversation:updated' });
      await audience.membersJoined(userIds, memberIds);
    },
    'conversation.member_removed': async ({ conversation, userId, memberIds, stillShared }) => {
      conversationChanged(conversation);
      await audience.memberLeft(
        userId,
        conversation.members.map((member) => member.userId),
        stillShared,
      );
      // memberIds still lists the removed member, so their client can drop the conversation.
      toMembers(memberIds).emit('conversation:updated', {
        conversation,
        removedUserIds: [userId],
      });
      metrics.eventsOut.inc({ event: 'conversation:updated' });
    },
    'message.reaction': ({ memberIds, ...reaction }) => {
      toMembers(memberIds).emit('message:reaction', reaction);
      metrics.eventsOut.inc({ event: 'message:reaction' });
    },
    'message.thread': ({ memberIds, ...change }) => {
      toMembers(memberIds).emit('message:thread', change);
      metrics.eventsOut.inc({ event: 'message:thread' });
    },
    'conversation.muted': ({ conversationId, muted, memberIds }) => {
      toMembers(memberIds).emit('conversation:muted', { conversationId, muted });
      metrics.eventsOut.inc({ event: 'conversation:muted' });
    },
    'user.blocked': async ({ blockerId, blockedId, blocked, sharedSize, memberIds }) => {
      toMembers(memberIds).emit('user:blocked', { userId: blockedId, blocked });
      metrics.eventsOut.inc({ event: 'user:blocked' });
      if (blocked) await audience.blocked(blockerId, blockedId);
      else await audience.unblocked(blockerId, blockedId, sharedSize);
    },
    'user.updated': ({ user }) => audience.profileChanged(user),
    // Auth has already listed the session as ended, so its tokens open nothing new; this
    // closes the sockets it still has open.
    'auth.session.revoked': ({ sessionId }) => {
      scope.in(sessionRoom(sessionId)).disconnectSockets(true);
    },
  };

  return {
    /** Routes one broker event to the sockets it concerns; unknown types are ignored. */
    async handle(event: EventEnvelope) {
      if (!(await deps.claims.claim(event.id))) return;
      const route = routes[event.type as RoutedEvent] as
        | ((data: unknown) => void | Promise<void>)
        | undefined;
      try {
        await route?.(event.data);
      } catch (error) {
        await deps.claims.release(event.id).catch(() => undefined);
        throw error;
      }
    },
  };
}
