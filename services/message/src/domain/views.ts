import type { Conversation, Message } from '@palaver/contracts';
import type { ConversationRecord, HeadRecord } from '../store/conversation-store.ts';
import type { MarkRecord, MembershipRecord } from '../store/membership-store.ts';
import type { MessageRecord } from '../store/message-store.ts';

/** The public shape of a stored message (drops storage-only fields). */
export function toMessage(record: MessageRecord): Message {
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
      name: a.name,
      mime: a.mime,
      size: a.size,
      ...(a.width ? { width: a.width } : {}),
      ...(a.height ? { height: a.height } : {}),
    })),
    createdAt: record.createdAt.toISOString(),
    editedAt: record.editedAt?.toISOString() ?? null,
    deletedAt: record.deletedAt?.toISOString() ?? null,
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
