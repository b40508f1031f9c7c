import type { PublicUser } from '@palaver/contracts';
import type { Logger } from '@palaver/logger';
import type { MessageApi } from '../clients/message-api.ts';
import type { GatewayMetrics } from '../gateway-metrics.ts';
import { type GatewayServer, type GatewaySocket, userRoom, watchRoom } from '../realtime/rooms.ts';
import type { ContactsCache } from './contacts-cache.ts';
import type { PresenceRegistry } from './presence-registry.ts';

/**
 * Who sees whose presence: the people who share a direct conversation, or a group of at
 * most `maxGroup` members, with each other and have not blocked one another. A socket
 * watches a contact by being in the room `watch:<contact>`; this module alone decides who
 * joins and leaves those rooms, on connect and as conversations and blocks change.
 */
// Over 80 lines as a whole: a factory whose methods (each short) share its dependencies.
export function createPresenceAudience(deps: {
  /** The server, or its local half when each replica handles every event itself. */
  scope: GatewayServer | GatewayServer['local'];
  presence: PresenceRegistry;
  messageApi: MessageApi;
  /** Each user's contacts, shared by the replicas; this module says when they change. */
  contacts: ContactsCache;
  /** Larger groups do not share presence: n members watching each other costs n² room joins. */
  maxGroup: number;
  metrics: GatewayMetrics;
  logger: Logger;
}) {
  const { scope, presence, contacts, metrics, maxGroup } = deps;
  const offline = (userId: string) => ({ userId, status: 'offline' as const, lastSeenAt: null });
  /** Presence is a courtesy: its failure must not cost the event that changed it. */
  const failed = (err: unknown) => deps.logger.warn({ err }, 'could not update who sees whose presence');

  /**
   * Members of a conversation see each other's presence from now on: they join each other's
   * watch rooms and are told each other's current status (later changes reach them there).
   */
  async function watchEachOther(newcomers: string[], everyone: string[]) {
    const before = everyone.length - newcomers.length;
    // Contacts change when the conversation is small enough for presence now, or was
    // before (members of one that grew past the limit stop seeing each other).
    if (everyone.length > maxGroup && (before < 2 || before > maxGroup)) return;
    await contacts.changed(everyone);
    if (everyone.length > maxGroup) return;
    const statuses = new Map((await presence.statusOf(everyone)).map((status) => [status.userId, status]));
    for (const userId of everyone) {
      const others = (newcomers.includes(userId) ? everyone : newcomers).filter((id) => id !== userId);
      if (others.length === 0) continue;
      scope.in(userRoom(userId)).socketsJoin(others.map(watchRoom));
      const room = scope.to(userRoom(userId));
      for (const other of others) {
        const status = statuses.get(other);
        if (status) room.emit('user:status', status);
      }
      metrics.eventsOut.inc({ event: 'user:status' }, others.length);
    }
  }

  return {
    /** A new socket watches its user's contacts and is told their statuses now. */
    async joinContacts(socket: GatewaySocket) {
      const { userId, token } = socket.data;
      const ids = await contacts.of(
        userId,
        async () => (await deps.messageApi.contacts(token, maxGroup)).userIds,
      );
      socket.join(ids.map(watchRoom));
      for (const status of await presence.statusOf(ids)) socket.emit('user:status', status);
    },

    /** A conversation was created or gained members. */
    membersJoined: (newcomers: string[], everyone: string[]) =>
      watchEachOther(newcomers, everyone).catch(failed),

    /**
     * A member left or was removed: they and the remaining members who no longer share a
     * conversation small enough for presence stop seeing each other, on every replica.
     */
    async memberLeft(userId: string, remaining: string[], stillShared: Record<string, number> | undefined) {
      // A group still too large for presence changed nobody's contacts (one that shrank to
      // the limit gives its members each other from their next connect).
      if (remaining.length > maxGroup) return;
      await contacts.changed([userId, ...remaining]);
      // Older events do not say who still shares a conversation.
      if (!stillShared || remaining.length + 1 > maxGroup) return;
      const former = remaining.filter((id) => (stillShared[id] ?? Number.POSITIVE_INFINITY) > maxGroup);
      if (former.length === 0) return;
      scope.in(userRoom(userId)).socketsLeave(former.map(watchRoom));
      scope.in(former.map(userRoom)).socketsLeave(watchRoom(userId));
    },

    /** No presence either way from now on; each is shown the other as offline. */
    async blocked(blockerId: string, blockedId: string) {
      await contacts.changed([blockerId, blockedId]);
      scope.in(userRoom(blockerId)).socketsLeave(watchRoom(blockedId));
      scope.in(userRoom(blockedId)).socketsLeave(watchRoom(blockerId));
      scope.to(userRoom(blockerId)).emit('user:status', offline(blockedId));
      scope.to(userRoom(blockedId)).emit('user:status', offline(blockerId));
      metrics.eventsOut.inc({ event: 'user:status' }, 2);
    },

    /** A profile changed: told to those who see the user's presence and to the user's own sockets. */
    profileChanged(user: PublicUser) {
      scope.to([watchRoom(user.id), userRoom(user.id)]).emit('user:updated', { user });
      metrics.eventsOut.inc({ event: 'user:updated' });
    },

    /** Unblocked: presence resumes if they still share a conversation small enough for it. */
    async unblocked(blockerId: string, blockedId: string, sharedSize: number | undefined) {
      await contacts.changed([blockerId, blockedId]);
      if (sharedSize === undefined || sharedSize > maxGroup) return;
      await watchEachOther([blockerId, blockedId], [blockerId, blockedId]).catch(failed);
    },
  };
}

export type PresenceAudience = ReturnType<typeof createPresenceAudience>;
