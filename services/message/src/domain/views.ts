import type { Conversation, Message, Reaction } from '@palaver/contracts';
import { fileFacts } from '@palaver/contracts';
import type { ConversationRecord, HeadRecord } from '../store/conversation-store.ts';
import type { MarkRecord, MembershipRecord } from '../store/membership-store.ts';
import type { MessageRecord } from '../store/message-store.ts';
import type { ReactionRecord } from '../store/reaction-store.ts';

/** A message's reactions by emoji, each emoji and each of its users in the order they came. */
function toReactions(records: ReactionRecord[]): Reaction[] {
  const byEmoji = new Map<string, string[]>();
  for (const record of [...records].sort(
    (a, b) => a.at.getTime() - b.at.getTime() || a._id.localeCompare(b._id),
  )) {
    byEmoji.set(record.emoji, [...(byEmoji.get(record.emoji) ?? []), record.userId.toHexString()]);
  }
  return [...byEmoji].map(([emoji, userIds]) => ({ emoji, userIds }));
}

/**
 * The public shape of a stored message (drops storage-only fields), with its reactions;
 * its quote and thread are for `createMessageViews` to fill in.
 */
export function toMessage(record: MessageRecord, reactions: ReactionRecord[] = []): Message {
  return {
    id: record._id.toHexString(),
    conversationId: record.conversationId.toHexString(),
    seq: record.seq,
    senderId: record.senderId.toHexString(),
    clientMessageId: record.clientMessageId,
    kind: record.kind,
    body: record.body,
    attachments: record.attachments.map((a) => ({
      uploadId: a.uploadId.toHexString(),
      ...fileFacts(a),
    })),
    createdAt: record.createdAt.toISOString(),
    editedAt: record.editedAt?.toISOString() ?? null,
    deletedAt: record.deletedAt?.toISOString() ?? null,
    mentions: (record.mentions ?? []).map((id) => id.toHexString()),
    // A deleted message keeps no content, reactions included.
    reactions: record.deletedAt ? [] : toReactions(reactions.filter((r) => r.messageId.equals(record._id))),
    replyTo: null,
    threadRootSeq: record.threadRootSeq ?? null,
    thread: null,
  };
}

/** Everything a conversation's public view is made of, each from its own document. */
export interface ConversationParts {
  conversation: ConversationRecord;
  head: HeadRecord;
  members: MembershipRecord[];
  marks?: MarkRecord[];
}

export function toConversation({ conversation, head, members, marks = [] }: ConversationParts): Conversation {
  const markOf = (userId: string, kind: MarkRecord['kind']) =>
    marks.find((mark) => mark.kind === kind && mark.userId.toHexString() === userId)?.seq ?? 0;
  return {
    id: conversation._id.toHexString(),
    type: conversation.type,
    title: conversation.title,
    members: members.map((member) => {
      const userId = member.userId.toHexString();
      return {
        userId,
        role: member.role,
        joinedAt: member.joinedAt.toISOString(),
        lastReadSeq: markOf(userId, 'read'),
        lastDeliveredSeq: markOf(userId, 'delivered'),
      };
    }),
    createdBy: conversation.createdBy.toHexString(),
    lastSeq: head.lastSeq,
    lastMessageAt: head.lastMessageAt?.toISOString() ?? null,
    createdAt: conversation.createdAt.toISOString(),
    updatedAt: conversation.updatedAt.toISOString(),
  };
}

export const memberIdsOf = (members: Pick<MembershipRecord, 'userId'>[]) =>
  members.map((member) => member.userId.toHexString());
