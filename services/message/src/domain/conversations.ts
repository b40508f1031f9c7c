import { randomUUID } from 'node:crypto';
import {
  type ConversationPage,
  type ConversationSummary,
  type CreateConversationBody,
  maxGroupMembers,
} from '@palaver/contracts';
import { Types } from 'mongoose';
import { conversationNotFound, MessageError } from '../errors.ts';
import {
  type ConversationRecord,
  type ConversationStore,
  type MemberRecord,
  readStateId,
} from '../store/conversation-store.ts';
import type { MessageStore } from '../store/message-store.ts';
import type { MessageAppender } from './message-appender.ts';
import { memberIdsOf, toConversation, toMessage } from './views.ts';

export interface ConversationEvents {
  /** Publishes the conversation's stored outbox events now (the relay retries failures). */
  flush: (conversation: ConversationRecord) => void;
  /** Publishes a receipt; receipts are state marks, so a lost one is superseded by the next. */
  receipt: (
    type: 'conversation.read' | 'message.delivered',
    receipt: { conversationId: string; userId: string; seq: number; memberIds: string[] },
  ) => void;
}

const canManage = (member: MemberRecord | undefined) => member?.role === 'owner' || member?.role === 'admin';

/** Conversations and membership: who may do what, with storage and events injected. */
export function createConversations(deps: {
  conversations: ConversationStore;
  messages: MessageStore;
  appender: MessageAppender;
  events: ConversationEvents;
}) {
  const { conversations, messages, appender, events } = deps;

  async function loadForMember(id: string, userId: string) {
    const conversation = await conversations.findForMember(id, userId);
    if (!conversation) throw conversationNotFound();
    return conversation;
  }

  async function present(conversation: ConversationRecord) {
    return toConversation(conversation, await conversations.readStates(conversation._id.toHexString()));
  }

  /** Membership changes are visible in history as a system message. */
  async function postSystemMessage(conversation: ConversationRecord, by: string, body: object) {
    await appender.append({
      conversation,
      senderId: by,
      clientMessageId: `system-${randomUUID()}`,
      kind: 'system',
      body: JSON.stringify(body),
      attachments: [],
    });
  }

  const outboxEvent = (type: string, data: object) => ({ id: `${type}:${randomUUID()}`, type, data });

  return {
    async create(callerId: string, input: CreateConversationBody) {
      const now = new Date();
      const caller = new Types.ObjectId(callerId);
      if (input.type === 'direct') {
        if (input.userId === callerId)
          throw new MessageError('cannot_message_self', 'A direct conversation needs another person');
        const uniqueKey = `direct:${[callerId, input.userId].sort().join(':')}`;
        const existing = await conversations.findByUniqueKey(uniqueKey);
        if (existing) return { conversation: await present(existing), created: false };
        const members: MemberRecord[] = [callerId, input.userId].map((id) => ({
          userId: new Types.ObjectId(id),
          role: 'member',
          joinedAt: now,
        }));
        return insertNew({ type: 'direct', uniqueKey, title: null, members, createdBy: caller, now });
      }
      const memberIds = [...new Set(input.memberIds.filter((id) => id !== callerId))];
      const members: MemberRecord[] = [
        { userId: caller, role: 'owner', joinedAt: now },
        ...memberIds.map((id) => ({
          userId: new Types.ObjectId(id),
          role: 'member' as const,
          joinedAt: now,
        })),
      ];
      const _id = new Types.ObjectId();
      return insertNew({
        _id,
        type: 'group',
        uniqueKey: `group:${_id}`,
        title: input.title.trim(),
        members,
        createdBy: caller,
        now,
      });
    },

    async list(callerId: string, limit: number, cursor?: string): Promise<ConversationPage> {
      const [activity, id] = cursor ? cursor.split('_') : [];
      const after = activity && id ? { activityAt: Number(activity), id } : undefined;
      const page = await conversations.listForMember(callerId, limit + 1, after);
      const shown = page.slice(0, limit);
      const [readStates, lastMessages] = await Promise.all([
        conversations.readStatesOf(shown.map((c) => readStateId(c._id.toHexString(), callerId))),
        messages.lastOf(
          shown.map((c) => c._id),
          shown.map((c) => c.lastSeq),
        ),
      ]);
      const lastByConversation = new Map(lastMessages.map((m) => [m.conversationId.toHexString(), m]));
      const summaries: ConversationSummary[] = shown.map((record) => {
        const own = readStates.filter((state) => state.conversationId.equals(record._id));
        const view = toConversation(record, own);
        const last = lastByConversation.get(view.id);
        return {
          ...view,
          // From counters, never from scanning messages.
          unreadCount: Math.max(0, record.lastSeq - (own[0]?.lastReadSeq ?? 0)),
          lastMessage: last ? toMessage(last) : null,
        };
      });
      const tail = shown.at(-1);
      return {
        conversations: summaries,
        nextCursor: page.length > limit && tail ? `${tail.activityAt}_${tail._id.toHexString()}` : null,
      };
    },

    get: async (id: string, callerId: string) => present(await loadForMember(id, callerId)),

    async rename(id: string, callerId: string, title: string) {
      const conversation = await loadForMember(id, callerId);
      if (conversation.type !== 'group') throw new MessageError('not_a_group', 'Only groups have a title');
      if (!canManage(conversation.members.find((m) => m.userId.equals(callerId)))) {
        throw new MessageError('forbidden', 'Only the owner or an admin can rename the group');
      }
      const renamed = { ...conversation, title: title.trim() };
      const view = toConversation(renamed);
      const updated = await conversations.update(
        id,
        { title: renamed.title },
        outboxEvent('conversation.updated', { conversation: view, memberIds: memberIdsOf(conversation) }),
      );
      if (!updated) throw conversationNotFound();
      events.flush(updated);
      return present(updated);
    },

    async addMembers(id: string, callerId: string, userIds: string[]) {
      const conversation = await loadForMember(id, callerId);
      if (conversation.type !== 'group')
        throw new MessageError('not_a_group', 'Members can be added to groups only');
      if (!canManage(conversation.members.find((m) => m.userId.equals(callerId)))) {
        throw new MessageError('forbidden', 'Only the owner or an admin can add members');
      }
      const added = userIds.filter((userId) => !conversation.memberIds.some((m) => m.equals(userId)));
      if (added.length === 0) return present(conversation);
      if (conversation.members.length + added.length > maxGroupMembers) {
        throw new MessageError('group_full', `A group has at most ${maxGroupMembers} members`);
      }
      const now = new Date();
      const members = [
        ...conversation.members,
        ...added.map((userId) => ({
          userId: new Types.ObjectId(userId),
          role: 'member' as const,
          joinedAt: now,
        })),
      ];
      const memberIds = members.map((m) => m.userId);
      const view = toConversation({ ...conversation, members, memberIds });
      const updated = await conversations.update(
        id,
        { members, memberIds },
        outboxEvent('conversation.member_added', {
          conversation: view,
          userIds: added,
          by: callerId,
          memberIds: memberIds.map(String),
        }),
      );
      if (!updated) throw conversationNotFound();
      await postSystemMessage(updated, callerId, { event: 'member_added', by: callerId, userIds: added });
      events.flush(updated);
      return present(updated);
    },

    /** Leave (userId is the caller) or remove someone (owner/admin; the owner cannot be removed). */
    async removeMember(id: string, callerId: string, userId: string) {
      const conversation = await loadForMember(id, callerId);
      if (conversation.type !== 'group')
        throw new MessageError('not_a_group', 'Direct conversations have fixed members');
      const target = conversation.members.find((m) => m.userId.equals(userId));
      if (!target) throw new MessageError('not_found', 'No such member');
      if (userId !== callerId) {
        if (
          !canManage(conversation.members.find((m) => m.userId.equals(callerId))) ||
          target.role === 'owner'
        ) {
          throw new MessageError(
            'forbidden',
            'Only the owner or an admin can remove others, and not the owner',
          );
        }
      }
      const members = conversation.members.filter((m) => !m.userId.equals(userId));
      // A group whose owner leaves passes to its longest-standing member.
      if (target.role === 'owner' && members[0]) members[0] = { ...members[0], role: 'owner' };
      const memberIds = members.map((m) => m.userId);
      const view = toConversation({ ...conversation, members, memberIds });
      const updated = await conversations.update(
        id,
        { members, memberIds },
        outboxEvent('conversation.member_removed', {
          conversation: view,
          userId,
          by: callerId,
          // The removed member hears about it too.
          memberIds: [...memberIds.map(String), userId],
        }),
      );
      if (!updated) throw conversationNotFound();
      await postSystemMessage(updated, callerId, {
        event: userId === callerId ? 'member_left' : 'member_removed',
        by: callerId,
        userIds: [userId],
      });
      events.flush(updated);
    },

    /** Read receipt: monotonic, a lower seq never moves it back. */
    async markRead(id: string, callerId: string, seq: number) {
      const conversation = await loadForMember(id, callerId);
      const target = Math.min(seq, conversation.lastSeq);
      const moved = await conversations.advanceMark(id, callerId, 'lastReadSeq', target);
      if (moved) {
        await conversations.advanceMark(id, callerId, 'lastDeliveredSeq', target);
        events.receipt('conversation.read', {
          conversationId: id,
          userId: callerId,
          seq: target,
          memberIds: memberIdsOf(conversation),
        });
      }
      const [state] = await conversations.readStatesOf([readStateId(id, callerId)]);
      return { conversationId: id, userId: callerId, lastReadSeq: state?.lastReadSeq ?? 0 };
    },

    /** Delivery receipt: like `markRead`, monotonic and capped at the conversation's last seq. */
    async markDelivered(id: string, callerId: string, seq: number) {
      const conversation = await loadForMember(id, callerId);
      const target = Math.min(seq, conversation.lastSeq);
      if (await conversations.advanceMark(id, callerId, 'lastDeliveredSeq', target)) {
        events.receipt('message.delivered', {
          conversationId: id,
          userId: callerId,
          seq: target,
          memberIds: memberIdsOf(conversation),
        });
      }
      const [state] = await conversations.readStatesOf([readStateId(id, callerId)]);
      return { conversationId: id, userId: callerId, lastDeliveredSeq: state?.lastDeliveredSeq ?? 0 };
    },

    /** Everyone who shares a conversation of at most `maxGroupSize` members with the caller. */
    async contactsOf(callerId: string, maxGroupSize: number) {
      const rows = await conversations.memberIdsAcross(callerId);
      const ids = new Set(
        rows
          .filter((row) => row.memberIds.length <= maxGroupSize)
          .flatMap((row) => row.memberIds.map(String)),
      );
      ids.delete(callerId);
      return { userIds: [...ids] };
    },

    loadForMember,
  };

  async function insertNew(fields: {
    _id?: Types.ObjectId;
    type: 'direct' | 'group';
    uniqueKey: string;
    title: string | null;
    members: MemberRecord[];
    createdBy: Types.ObjectId;
    now: Date;
  }) {
    const _id = fields._id ?? new Types.ObjectId();
    const memberIds = fields.members.map((m) => m.userId);
    const draft: ConversationRecord = {
      _id,
      type: fields.type,
      uniqueKey: fields.uniqueKey,
      title: fields.title,
      members: fields.members,
      memberIds,
      createdBy: fields.createdBy,
      lastSeq: 0,
      lastMessageAt: null,
      activityAt: fields.now.getTime(),
      outbox: [],
      createdAt: fields.now,
      updatedAt: fields.now,
    };
    draft.outbox = [
      outboxEvent('conversation.created', {
        conversation: toConversation(draft),
        memberIds: memberIds.map(String),
      }),
    ];
    try {
      const stored = await conversations.insert(draft);
      events.flush(stored);
      return { conversation: await present(stored), created: true };
    } catch (error) {
      // Two people opened the same direct conversation at once: the unique key decides.
      if ((error as { code?: number }).code !== 11000) throw error;
      const existing = await conversations.findByUniqueKey(fields.uniqueKey);
      if (!existing) throw error;
      return { conversation: await present(existing), created: false };
    }
  }
}

export type Conversations = ReturnType<typeof createConversations>;
