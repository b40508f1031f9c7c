import type {
  ConversationPage,
  ConversationSummary,
  CreateConversationBody,
  Message,
} from '@palaver/contracts';
import { isDuplicateKey } from '@palaver/service-kit';
import { Types } from 'mongoose';
import { MessageError } from '../errors.ts';
import type { ConversationRecord, HeadRecord } from '../store/conversation-store.ts';
import { type MembershipRecord, membershipId } from '../store/membership-store.ts';
import type { MentionStore } from '../store/mention-store.ts';
import type { Blocks } from './blocks.ts';
import {
  type ConversationAccess,
  type ConversationEvents,
  type ConversationStores,
  createViewAnnouncer,
} from './conversation-access.ts';
import type { MessageViews } from './message-views.ts';
import type { People } from './people.ts';
import { memberIdsOf, toConversation } from './views.ts';

export const canManage = (member: MembershipRecord | undefined | null) =>
  member?.role === 'owner' || member?.role === 'admin';

export const newMembership = (
  conversationId: Types.ObjectId,
  userId: string | Types.ObjectId,
  role: MembershipRecord['role'],
  joinedAt: Date,
): MembershipRecord => ({
  _id: membershipId(conversationId, userId),
  conversationId,
  userId: new Types.ObjectId(userId),
  role,
  joinedAt,
});

/** The newest unread messages a listing looks through for the caller's own latest one. */
const ownMessageWindow = 50;

// Over 80 lines as a whole: a factory whose methods (each short) share its dependencies.
/** Creating, listing, reading and renaming conversations. */
export function createConversations(
  deps: ConversationStores & {
    mentions: MentionStore;
    views: MessageViews;
    access: ConversationAccess;
    events: ConversationEvents;
    people: People;
    blocks: Blocks;
  },
) {
  const { conversations, memberships, messages, mentions, views, access, events, people } = deps;
  const announce = createViewAnnouncer(access, events);

  /** Stores a new conversation, its head and its members, then announces it. */
  async function insertNew(record: ConversationRecord, members: MembershipRecord[]) {
    try {
      await conversations.insert(record);
    } catch (error) {
      // Two people opened the same direct conversation at once: the unique key decides.
      if (!isDuplicateKey(error)) throw error;
      const existing = await conversations.findByUniqueKey(record.uniqueKey);
      if (!existing) throw error;
      return { conversation: await openExisting(existing, members), created: false };
    }
    await memberships.add(members);
    const conversation = toConversation({
      conversation: record,
      head: { _id: record._id, lastSeq: 0, lastMessageAt: null, activityAt: record.createdAt.getTime() },
      members,
    });
    const recorded = await events.record([
      {
        type: 'conversation.created',
        conversationId: record._id,
        data: { conversation, memberIds: memberIdsOf(members) },
      },
    ]);
    events.publish(recorded);
    return { conversation, created: true };
  }

  /**
   * A direct conversation found by its key. Its two memberships are fixed, so they are
   * (re)written idempotently: a creation interrupted before them is completed here, and
   * announced then.
   */
  async function openExisting(existing: ConversationRecord, members: MembershipRecord[]) {
    if (existing.type !== 'direct') return access.present(existing);
    const completed = await memberships.add(
      members.map((m) => ({ ...m, conversationId: existing._id, _id: membershipId(existing._id, m.userId) })),
    );
    return completed.length > 0 ? announce('conversation.created', existing) : access.present(existing);
  }

  /**
   * How far the caller has read: their read mark, or their own latest message when later —
   * whoever sends has seen the conversation up to there, so their own messages and the ones
   * before them are never unread. From counters when nothing is unread or the newest message
   * is theirs; otherwise the unread tail is read, at most `ownMessageWindow` messages of it.
   */
  async function readUpTo(head: HeadRecord, readSeq: number, callerId: string, last: Message | undefined) {
    if (head.lastSeq <= readSeq) return readSeq;
    if (last?.senderId === callerId) return last.seq;
    const from = Math.max(readSeq + 1, head.lastSeq - ownMessageWindow + 1);
    const tail = await messages.range(head._id, from, head.lastSeq);
    const ownLatest = tail.findLast((message) => message.senderId.equals(callerId));
    return ownLatest ? ownLatest.seq : readSeq;
  }

  return {
    /** `onBehalfOf`: the caller's authorization, to ask auth whether member ids are people. */
    async create(callerId: string, input: CreateConversationBody, onBehalfOf?: string) {
      const now = new Date();
      if (input.type === 'direct') {
        if (input.userId === callerId)
          throw new MessageError('cannot_message_self', 'A direct conversation needs another person');
        await people.assertExist([input.userId], onBehalfOf);
        await deps.blocks.assertNeither(callerId, input.userId);
        const uniqueKey = `direct:${[callerId, input.userId].sort().join(':')}`;
        const _id = new Types.ObjectId();
        const members = [callerId, input.userId].map((id) => newMembership(_id, id, 'member', now));
        const existing = await conversations.findByUniqueKey(uniqueKey);
        if (existing) return { conversation: await openExisting(existing, members), created: false };
        return insertNew(
          {
            _id,
            type: 'direct',
            uniqueKey,
            title: null,
            createdBy: new Types.ObjectId(callerId),
            createdAt: now,
            updatedAt: now,
          },
          members,
        );
      }
      const _id = new Types.ObjectId();
      const memberIds = [...new Set(input.memberIds.filter((id) => id !== callerId))];
      await people.assertExist(memberIds, onBehalfOf);
      await deps.blocks.assertNotBlockedBy(callerId, memberIds);
      // Listed members join in the order given (a millisecond apart), so "the longest-standing
      // member" — who inherits a group its owner leaves — is well defined.
      const joined = (i: number) => new Date(now.getTime() + i);
      const members = [
        newMembership(_id, callerId, 'owner', now),
        ...memberIds.map((id, i) => newMembership(_id, id, 'member', joined(i + 1))),
      ];
      return insertNew(
        {
          _id,
          type: 'group',
          uniqueKey: `group:${_id}`,
          title: input.title.trim(),
          createdBy: new Types.ObjectId(callerId),
          createdAt: now,
          updatedAt: now,
        },
        members,
      );
    },

    /**
     * The caller's conversations by last activity, keyset-paginated on (activityAt, id):
     * their memberships, then each conversation's head by id, sorted here.
     */
    async list(callerId: string, limit: number, cursor?: string): Promise<ConversationPage> {
      const [activity, id] = cursor ? cursor.split('_') : [];
      const own = await memberships.ofUser(callerId);
      const ids = own.map((m) => m.conversationId);
      const [heads, records] = await Promise.all([conversations.heads(ids), conversations.findByIds(ids)]);
      const rows = records
        .map((conversation, i) => {
          if (!conversation) return null;
          const head: HeadRecord = heads[i] ?? {
            _id: conversation._id,
            lastSeq: 0,
            lastMessageAt: null,
            activityAt: conversation.createdAt.getTime(),
          };
          return { conversation, head };
        })
        .filter((row) => row !== null)
        .sort(
          (a, b) =>
            b.head.activityAt - a.head.activityAt ||
            b.conversation._id.toHexString().localeCompare(a.conversation._id.toHexString()),
        );
      const after = activity && id ? { activityAt: Number(activity), id } : undefined;
      const start = after
        ? rows.filter(
            (r) =>
              r.head.activityAt < after.activityAt ||
              (r.head.activityAt === after.activityAt && r.conversation._id.toHexString() < after.id),
          )
        : rows;
      const shown = start.slice(0, limit);
      const [members, myMarks, lastMessages, myMentions, muted] = await Promise.all([
        Promise.all(shown.map((r) => memberships.ofConversation(r.conversation._id))),
        memberships.marksOfUser(callerId),
        messages.lastOf(shown.map((r) => r.head)),
        mentions.countsOf(callerId),
        memberships.mutedBy(callerId),
      ]);
      const lastViews = await views.view(lastMessages);
      const lastByConversation = new Map(lastViews.map((m) => [m.conversationId, m]));
      const marksOf = (row: (typeof shown)[number]) =>
        myMarks.filter((mark) => mark.conversationId.equals(row.conversation._id));
      const reads = await Promise.all(
        shown.map((row) =>
          readUpTo(
            row.head,
            marksOf(row).find((mark) => mark.kind === 'read')?.seq ?? 0,
            callerId,
            lastByConversation.get(row.conversation._id.toHexString()),
          ),
        ),
      );
      const summaries: ConversationSummary[] = shown.map((row, i) => {
        const marks = marksOf(row);
        const view = toConversation({ ...row, members: members[i] ?? [], marks });
        const last = lastByConversation.get(view.id);
        const read = reads[i] ?? 0;
        return {
          ...view,
          unreadCount: Math.max(0, row.head.lastSeq - read),
          unreadMentions: (myMentions.get(view.id) ?? []).filter((mention) => mention.seq > read).length,
          muted: muted.has(view.id),
          lastMessage: last ?? null,
        };
      });
      const tail = shown.at(-1);
      return {
        conversations: summaries,
        nextCursor:
          start.length > limit && tail
            ? `${tail.head.activityAt}_${tail.conversation._id.toHexString()}`
            : null,
      };
    },

    async get(id: string, callerId: string) {
      const { conversation } = await access.loadForMember(id, callerId);
      return access.present(conversation);
    },

    async rename(id: string, callerId: string, title: string) {
      const { conversation, membership } = await access.loadForMember(id, callerId);
      if (conversation.type !== 'group') throw new MessageError('not_a_group', 'Only groups have a title');
      if (!canManage(membership)) {
        throw new MessageError('forbidden', 'Only the owner or an admin can rename the group');
      }
      const now = new Date();
      await conversations.rename(conversation._id, title.trim(), now);
      return announce('conversation.updated', { ...conversation, title: title.trim(), updatedAt: now });
    },

    /** Mutes or unmutes the conversation for the caller; their other devices are told. */
    async setMuted(id: string, callerId: string, muted: boolean) {
      const membership = await access.membershipOf(id, callerId);
      const recorded = await events.record([
        {
          type: 'conversation.muted',
          conversationId: membership.conversationId,
          data: { conversationId: id, userId: callerId, muted, memberIds: [callerId] },
        },
      ]);
      if (await memberships.setMuted(membership.conversationId, callerId, muted)) events.publish(recorded);
      else await events.discard(recorded);
    },

    /** Everyone who shares a conversation of at most `maxGroupSize` members with the caller, blocks aside. */
    async contactsOf(callerId: string, maxGroupSize: number) {
      const [own, blocked] = await Promise.all([
        memberships.ofUser(callerId),
        deps.blocks.relationsOf(callerId),
      ]);
      const lists = await Promise.all(own.map((m) => memberships.ofConversation(m.conversationId)));
      const ids = new Set(
        lists.filter((members) => members.length <= maxGroupSize).flatMap((members) => memberIdsOf(members)),
      );
      ids.delete(callerId);
      // No presence either way between people in a block.
      return { userIds: [...ids].filter((id) => !blocked.has(id)) };
    },
  };
}

export type Conversations = ReturnType<typeof createConversations>;
