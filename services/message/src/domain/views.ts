import type { Conversation, Message } from '@palaver/contracts';
import type { ConversationRecord, ReadStateRecord } from '../store/conversation-store.ts';
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

export function toConversation(record: ConversationRecord, readStates: ReadStateRecord[] = []): Conversation {
  const marks = new Map(readStates.map((state) => [state.userId.toHexString(), state]));
  return {
    id: record._id.toHexString(),
    type: record.type,
    title: record.title,
    members: record.members.map((member) => {
      const userId = member.userId.toHexString();
      return {
        userId,
        role: member.role,
        joinedAt: member.joinedAt.toISOString(),
        lastReadSeq: marks.get(userId)?.lastReadSeq ?? 0,
        lastDeliveredSeq: marks.get(userId)?.lastDeliveredSeq ?? 0,
      };
    }),
    createdBy: record.createdBy.toHexString(),
    lastSeq: record.lastSeq,
    lastMessageAt: record.lastMessageAt?.toISOString() ?? null,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
  };
}

export const memberIdsOf = (record: Pick<ConversationRecord, 'memberIds'>) =>
  record.memberIds.map((id) => id.toHexString());
