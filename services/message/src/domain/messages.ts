import type { HistoryQuery, Message, MessagePage, SendMessageBody } from '@palaver/contracts';
import { MessageError } from '../errors.ts';
import type { ConversationRecord } from '../store/conversation-store.ts';
import type { MessageRecord, MessageStore } from '../store/message-store.ts';
import type { Conversations } from './conversations.ts';
import type { MessageAppender } from './message-appender.ts';
import { toMessage } from './views.ts';

export interface MessageEvents {
  /** Publishes a message's stored pending events now (the relay retries failures). */
  changed: (message: MessageRecord, conversation: ConversationRecord) => void;
}

const kindFor = (attachments: MessageRecord['attachments']): MessageRecord['kind'] => {
  if (attachments.length === 0) return 'text';
  return attachments.every((a) => a.mime.startsWith('image/')) ? 'image' : 'file';
};

/** Sending, history, edits and deletions. */
export function createMessages(deps: {
  messages: MessageStore;
  conversations: Conversations;
  appender: MessageAppender;
  events: MessageEvents;
}) {
  const { messages, conversations, appender, events } = deps;

  async function ownMessage(conversationId: string, callerId: string, seq: number) {
    const conversation = await conversations.loadForMember(conversationId, callerId);
    const message = await messages.findBySeq(conversationId, seq);
    if (!message || message.kind === 'system') throw new MessageError('not_found', 'No such message');
    if (!message.senderId.equals(callerId))
      throw new MessageError('forbidden', 'Only the sender can change a message');
    if (message.deletedAt) throw new MessageError('message_deleted', 'The message was deleted');
    return { conversation, message };
  }

  return {
    /** Stores a message once; a retry with the same clientMessageId returns the original. */
    async send(
      conversationId: string,
      senderId: string,
      input: SendMessageBody,
    ): Promise<{ message: Message; created: boolean }> {
      if (input.body === undefined && input.attachments === undefined) {
        throw new MessageError('empty_message', 'A message needs a body or attachments');
      }
      const conversation = await conversations.loadForMember(conversationId, senderId);
      const uploadIds = input.attachments?.map((a) => a.uploadId) ?? [];
      const uploads = uploadIds.length > 0 ? await messages.uploadsOf(senderId, uploadIds) : [];
      // Only files the sender uploaded; anything else looks like it does not exist.
      const missing = uploadIds.filter((id) => !uploads.some((u) => u._id.equals(id)));
      if (missing.length > 0) {
        throw new MessageError('attachment_not_found', 'Unknown attachment', { uploadIds: missing });
      }
      const attachments = uploadIds.map((id) => {
        const upload = uploads.find((u) => u._id.equals(id)) as (typeof uploads)[number];
        return {
          uploadId: upload._id,
          name: upload.name,
          mime: upload.mime,
          size: upload.size,
          ...(upload.width ? { width: upload.width } : {}),
          ...(upload.height ? { height: upload.height } : {}),
        };
      });
      const { message, created } = await appender.append({
        conversation,
        senderId,
        clientMessageId: input.clientMessageId,
        kind: kindFor(attachments),
        body: input.body ?? null,
        attachments,
      });
      return { message: toMessage(message), created };
    },

    async history(callerId: string, query: HistoryQuery): Promise<MessagePage> {
      if (query.before !== undefined && query.after !== undefined) {
        throw new MessageError('invalid_request', 'Give either before or after, not both');
      }
      await conversations.loadForMember(query.conversationId, callerId);
      const limit = query.limit ?? 50;
      const direction =
        query.after !== undefined
          ? { after: query.after }
          : query.before !== undefined
            ? { before: query.before }
            : {};
      const found = await messages.page(query.conversationId, direction, limit + 1);
      return { messages: found.slice(0, limit).map(toMessage), hasMore: found.length > limit };
    },

    async edit(conversationId: string, callerId: string, seq: number, body: string) {
      const { conversation, message } = await ownMessage(conversationId, callerId, seq);
      const updated = await messages.change(message._id, { body, editedAt: new Date() }, 'message.updated');
      if (!updated) throw new MessageError('not_found', 'No such message');
      events.changed(updated, conversation);
      return toMessage(updated);
    },

    /** Leaves a tombstone: the row and its seq stay, the content goes. */
    async remove(conversationId: string, callerId: string, seq: number) {
      const { conversation, message } = await ownMessage(conversationId, callerId, seq);
      const updated = await messages.change(
        message._id,
        { body: null, attachments: [], deletedAt: new Date() },
        'message.deleted',
      );
      if (!updated) throw new MessageError('not_found', 'No such message');
      events.changed(updated, conversation);
    },
  };
}

export type Messages = ReturnType<typeof createMessages>;
