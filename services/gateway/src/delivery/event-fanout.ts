import type { Conversation, EventData, EventEnvelope, EventType } from '@palaver/contracts';
import type { Logger } from '@palaver/logger';
import type { GatewayMetrics } from '../gateway-metrics.ts';
import type { PresenceRegistry } from '../presence/presence-registry.ts';
import type { MemberDirectory } from '../realtime/member-directory.ts';
import { type GatewayServer, sessionRoom, userRoom, watchRoom } from '../realtime/rooms.ts';
import type { EventClaims } from './event-claims.ts';

/**
 * How events reach sockets. `replica-queue`: every replica consumes every event from its
 * own queue and emits to its own sockets only (no Redis hop). `shared-queue`: replicas
 * compete for events on one queue and broadcast through the Redis adapter.
 * docs/architecture.md compares their cost.
 */
export type FanoutMode = 'replica-queue' | 'shared-queue';

export const fanoutBindings = ['message.*', 'conversation.*', 'user.blocked', 'auth.session.revoked'];

export function createEventFanout(deps: {
  io: GatewayServer;
  mode: FanoutMode;
  members: MemberDirectory;
  metrics: GatewayMetrics;
  presence: PresenceRegistry;
  /** Skips events already handled (local memory with a queue per replica, Redis with a shared one). */
  claims: EventClaims;
  logger: Logger;
  /** Larger groups do not share presence: n members watching each other costs n² room joins. */
  presenceMaxGroup: number;
}) {
  const { io, metrics } = deps;
  // Local emits reach this replica's sockets; adapter emits reach every replica's.
  const scope = deps.mode === 'replica-queue' ? io.local : io;

  const toMembers = (memberIds: string[]) => scope.to(memberIds.map(userRoom));

  /**
   * Members of a conversation see each other's presence from now on: they join each other's
   * watch rooms and are told each other's current status (later changes reach them there).
   */
  async function watchEachOther(newcomers: string[], everyone: string[]) {
    if (everyone.length > deps.presenceMaxGroup) return;
    const statuses = new Map(
      (await deps.presence.statusOf(everyone)).map((status) => [status.userId, status]),
    );
    for (const userId of everyone) {
      const others = (newcomers.includes(userId) ? everyone : newcomers).filter((id) => id !== userId);
      if (others.length === 0) continue;
      const room = scope.to(userRoom(userId));
      scope.in(userRoom(userId)).socketsJoin(others.map(watchRoom));
      for (const other of others) {
        const status = statuses.get(other);
        if (status) room.emit('user:status', status);
      }
      metrics.eventsOut.inc({ event: 'user:status' }, others.length);
    }
  }

  /**
   * A member left or was removed: they and the remaining members who no longer share a
   * conversation small enough for presence stop seeing each other, on every replica.
   */
  function unwatchFormerContacts(
    userId: string,
    remaining: string[],
    stillShared: Record<string, number> | undefined,
  ) {
    // Older events do not say; a group too large for presence changed nobody's.
    if (!stillShared || remaining.length + 1 > deps.presenceMaxGroup) return;
    const former = remaining.filter(
      (id) => (stillShared[id] ?? Number.POSITIVE_INFINITY) > deps.presenceMaxGroup,
    );
    if (former.length === 0) return;
    scope.in(userRoom(userId)).socketsLeave(former.map(watchRoom));
    scope.in(former.map(userRoom)).socketsLeave(watchRoom(userId));
  }

  /** Presence is a courtesy: its failure must not cost the conversation event. */
  const presenceFailed = (err: unknown) =>
    deps.logger.warn({ err }, 'could not share presence for a conversation change');

  function conversationChanged(conversation: Conversation) {
    deps.members.remember(
      conversation.id,
      conversation.members.map((member) => member.userId),
    );
  }

  const routes: { [T in EventType]?: (data: EventData<T>) => void | Promise<void> } = {
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
      await watchEachOther(memberIds, memberIds).catch(presenceFailed);
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
      await watchEachOther(userIds, memberIds).catch(presenceFailed);
    },
    'conversation.member_removed': ({ conversation, userId, memberIds, stillShared }) => {
      conversationChanged(conversation);
      unwatchFormerContacts(
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
    'conversation.muted': ({ conversationId, muted, memberIds }) => {
      toMembers(memberIds).emit('conversation:muted', { conversationId, muted });
      metrics.eventsOut.inc({ event: 'conversation:muted' });
    },
    'user.blocked': async ({ blockerId, blockedId, blocked, sharedSize, memberIds }) => {
      toMembers(memberIds).emit('user:blocked', { userId: blockedId, blocked });
      metrics.eventsOut.inc({ event: 'user:blocked' });
      if (blocked) {
        // No presence either way from now on; each is shown the other as offline.
        scope.in(userRoom(blockerId)).socketsLeave(watchRoom(blockedId));
        scope.in(userRoom(blockedId)).socketsLeave(watchRoom(blockerId));
        const offline = (userId: string) => ({ userId, status: 'offline' as const, lastSeenAt: null });
        scope.to(userRoom(blockerId)).emit('user:status', offline(blockedId));
        scope.to(userRoom(blockedId)).emit('user:status', offline(blockerId));
        metrics.eventsOut.inc({ event: 'user:status' }, 2);
      } else if (sharedSize !== undefined && sharedSize <= deps.presenceMaxGroup) {
        await watchEachOther([blockerId, blockedId], [blockerId, blockedId]).catch(presenceFailed);
      }
    },
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
      const route = routes[event.type] as ((data: unknown) => void | Promise<void>) | undefined;
      try {
        await route?.(event.data);
      } catch (error) {
        await deps.claims.release(event.id).catch(() => undefined);
        throw error;
      }
    },
  };
}
