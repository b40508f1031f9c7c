import { randomUUID } from 'node:crypto';
import { type MemberRole, maxGroupMembers } from '@palaver/contracts';
import { Types } from 'mongoose';
import { MessageError } from '../errors.ts';
import type { MembershipRecord } from '../store/membership-store.ts';
import type { OwnershipStore } from '../store/ownership-store.ts';
import type { Blocks } from './blocks.ts';
import {
  type ConversationAccess,
  type ConversationEvents,
  type ConversationStores,
  createViewAnnouncer,
} from './conversation-access.ts';
import { canManage, newMembership } from './conversations.ts';
import type { MessageAppender } from './message-appender.ts';
import type { People } from './people.ts';
import { memberIdsOf, toConversation } from './views.ts';

const oid = (id: string) => new Types.ObjectId(id);

// Over 80 lines as a whole: a factory whose methods (each short) share its dependencies.
/**
 * Joining, leaving, removal and roles. Each membership is its own document: adding is an
 * insert and removing a delete under the (conversation, member) key, so concurrent changes
 * and sends never overwrite one another.
 */
export function createMembership(
  deps: ConversationStores & {
    access: ConversationAccess;
    events: ConversationEvents;
    ownerships: OwnershipStore;
    appender: MessageAppender;
    people: People;
    blocks: Blocks;
  },
) {
  const { memberships, ownerships, access, events, appender, people } = deps;
  const announce = createViewAnnouncer(access, events);

  /** Membership changes are visible in history as a system message. */
  const postSystemMessage = (conversationId: Types.ObjectId, by: string, body: object) =>
    appender.append({
      conversationId,
      senderId: by,
      clientMessageId: `system-${randomUUID()}`,
      kind: 'system',
      body: JSON.stringify(body),
      attachments: [],
      mentions: [],
    });

  /**
   * For each of `others` who shares a conversation besides `exceptId` with `userId`: the
   * member count of the smallest such (the gateways share presence up to a group size).
   */
  async function sharedElsewhere(userId: string, exceptId: Types.ObjectId, others: string[]) {
    const wanted = new Set(others);
    const own = (await memberships.ofUser(userId)).filter((m) => !m.conversationId.equals(exceptId));
    const lists = await Promise.all(own.map((m) => memberships.ofConversation(m.conversationId)));
    const smallest: Record<string, number> = {};
    for (const members of lists) {
      for (const id of memberIdsOf(members)) {
        if (wanted.has(id)) smallest[id] = Math.min(smallest[id] ?? members.length, members.length);
      }
    }
    return smallest;
  }

  /**
   * Claims the next change of owner, from `fromId` to `toId`: false when `fromId` no longer
   * owns the group (a concurrent change came first) or a concurrent change takes the same
   * number. A claim already made for exactly this change (a retry after the roles were not
   * all written) counts as won, so the retry finishes it.
   */
  async function claimOwnership(conversationId: Types.ObjectId, fromId: string, toId: string) {
    const latest = await ownerships.latest(conversationId);
    if (latest?.fromId.equals(fromId) && latest.toId.equals(toId)) return true;
    // Without a claim the creator owns the group, as the caller's role said.
    if (latest && !latest.toId.equals(fromId)) return false;
    const generation = (latest?.generation ?? 0) + 1;
    return ownerships.claim({ conversationId, generation, fromId: oid(fromId), toId: oid(toId) });
  }

  async function loadGroup(id: string, callerId: string, action: string) {
    const loaded = await access.loadForMember(id, callerId);
    if (loaded.conversation.type !== 'group') throw new MessageError('not_a_group', `${action}: groups only`);
    return loaded;
  }

  return {
    /** `onBehalfOf`: the caller's authorization, to ask auth whether new ids are people. */
    async addMembers(id: string, callerId: string, userIds: string[], onBehalfOf?: string) {
      const { conversation, membership } = await loadGroup(id, callerId, 'Members can be added');
      if (!canManage(membership)) {
        throw new MessageError('forbidden', 'Only the owner or an admin can add members');
      }
      const current = await memberships.ofConversation(conversation._id);
      const wanted = userIds.filter((userId) => !current.some((m) => m.userId.equals(userId)));
      if (wanted.length === 0) return access.present(conversation);
      if (current.length + wanted.length > maxGroupMembers) {
        throw new MessageError('group_full', `A group has at most ${maxGroupMembers} members`);
      }
      await people.assertExist(wanted, onBehalfOf);
      await deps.blocks.assertNotBlockedBy(callerId, wanted);
      const now = new Date();
      // Only those this call really added are announced (a concurrent add may win some).
      const added = await memberships.add(
        wanted.map((userId, i) =>
          newMembership(conversation._id, userId, 'member', new Date(now.getTime() + i)),
        ),
      );
      if (added.length === 0) return access.present(conversation);
      const parts = await access.parts(conversation);
      const view = toConversation(parts);
      const addedIds = memberIdsOf(added);
      // Recorded after the change: if this process dies in between, nobody is told of a
      // member who is not one (the upload service grants access on this event).
      const recorded = await events.record([
        {
          type: 'conversation.member_added',
          conversationId: conversation._id,
          data: {
            conversation: view,
            userIds: addedIds,
            by: callerId,
            memberIds: memberIdsOf(parts.members),
          },
        },
      ]);
      await postSystemMessage(conversation._id, callerId, {
        event: 'member_added',
        by: callerId,
        userIds: addedIds,
      });
      events.publish(recorded);
      return view;
    },

    /** Leave (userId is the caller) or remove someone (owner/admin; the owner cannot be removed). */
    async removeMember(id: string, callerId: string, userId: string) {
      const { conversation, membership } = await loadGroup(
        id,
        callerId,
        'Direct conversations have fixed members',
      );
      const target = userId === callerId ? membership : await memberships.find(id, userId);
      if (!target) throw new MessageError('not_found', 'No such member');
      if (userId !== callerId && (!canManage(membership) || target.role === 'owner')) {
        throw new MessageError(
          'forbidden',
          'Only the owner or an admin can remove others, and not the owner',
        );
      }
      const before = await access.parts(conversation);
      const remaining = before.members.filter((m) => !m.userId.equals(userId));
      // A group whose owner leaves passes to its longest-standing member, unless the owner
      // handed it to someone else at the same moment (then the leaver owns nothing).
      let heir = target.role === 'owner' ? remaining[0] : undefined;
      if (heir && !(await claimOwnership(conversation._id, userId, heir.userId.toHexString())))
        heir = undefined;
      const after = remaining.map((m): MembershipRecord => (m === heir ? { ...m, role: 'owner' } : m));
      const stillShared = await sharedElsewhere(userId, conversation._id, memberIdsOf(after));
      // Recorded before the change: if this process dies in between, access is withdrawn
      // from someone still a member rather than kept by someone who is not.
      const recorded = await events.record([
        {
          type: 'conversation.member_removed',
          conversationId: conversation._id,
          data: {
            conversation: toConversation({ ...before, members: after }),
            userId,
            joinedAt: target.joinedAt.toISOString(),
            by: callerId,
            stillShared,
            // The removed member hears about it too.
            memberIds: [...memberIdsOf(after), userId],
          },
        },
      ]);
      await memberships.remove(id, userId);
      if (heir) await memberships.setRole(id, heir.userId, 'owner');
      await postSystemMessage(conversation._id, callerId, {
        event: userId === callerId ? 'member_left' : 'member_removed',
        by: callerId,
        userIds: [userId],
      });
      events.publish(recorded);
    },

    /**
     * Hands the group to another member (the owner only): they become its owner and the
     * caller an admin. Of concurrent changes of owner one wins; the others get 409.
     */
    async transferOwnership(id: string, callerId: string, userId: string) {
      const { conversation, membership } = await loadGroup(id, callerId, 'Groups have owners');
      if (membership.role !== 'owner')
        throw new MessageError('forbidden', 'Only the owner can hand the group over');
      if (userId === callerId) return access.present(conversation);
      const target = await memberships.find(id, userId);
      if (!target) throw new MessageError('not_found', 'No such member');
      if (!(await claimOwnership(conversation._id, callerId, userId)))
        throw new MessageError('conflict', 'The group changed owner meanwhile; reload it and retry');
      // The new owner first: a failure in between leaves the group owned, and a retry of
      // this same change finishes it.
      await memberships.setRole(id, userId, 'owner');
      await memberships.setRole(id, callerId, 'admin');
      await postSystemMessage(conversation._id, callerId, {
        event: 'owner_changed',
        by: callerId,
        userIds: [userId],
      });
      return announce('conversation.updated', conversation);
    },

    /** Makes a member an admin or back (owner or admin; the owner's role is not for change). */
    async setRole(id: string, callerId: string, userId: string, role: Exclude<MemberRole, 'owner'>) {
      const { conversation, membership } = await loadGroup(id, callerId, 'Roles exist');
      if (!canManage(membership))
        throw new MessageError('forbidden', 'Only the owner or an admin can change roles');
      const target = await memberships.find(id, userId);
      if (!target) throw new MessageError('not_found', 'No such member');
      // The latest claim names the owner; the role field follows it a moment later.
      const isOwner = async () => (await ownerships.latest(conversation._id))?.toId.equals(userId) === true;
      if (target.role === 'owner' || (await isOwner()))
        throw new MessageError('forbidden', "The owner's role cannot be changed");
      if (target.role !== role && !(await memberships.setRole(id, userId, role))) {
        throw new MessageError('not_found', 'No such member');
      }
      if (await isOwner()) {
        // A handover to them raced this write and may have lost its role write to it: the
        // claim wins, and this change never happened.
        await memberships.setRole(id, userId, 'owner');
        throw new MessageError('conflict', 'They became the owner meanwhile');
      }
      return announce('conversation.updated', conversation);
    },
  };
}

export type Membership = ReturnType<typeof createMembership>;
