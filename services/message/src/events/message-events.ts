import type { EventData, EventType } from '@palaver/contracts';
import { type Broker, type Relay, startRelay } from '@palaver/events';
import type { Logger } from '@palaver/logger';
import { Types } from 'mongoose';
import type { ConversationEvents } from '../domain/conversations.ts';
import type { MessageEvents } from '../domain/messages.ts';
import { memberIdsOf, toMessage } from '../domain/views.ts';
import type { ConversationRecord, ConversationStore } from '../store/conversation-store.ts';
import type { MessageRecord, MessageStore } from '../store/message-store.ts';

type MessageEventType = 'message.created' | 'message.updated' | 'message.deleted';

/**
 * Publishes what the stores recorded as pending, then clears the mark. Every change is
 * stored together with its pending event in one document, so a failed publish loses
 * nothing: the relay finds the mark and tries again. Event ids are stable per change,
 * so a republished event is recognisable to idempotent consumers.
 */
export function createEventPublisher(deps: {
  broker: Broker;
  messages: MessageStore;
  conversations: ConversationStore;
  logger: Logger;
}) {
  const { broker, messages, conversations, logger } = deps;

  const publish = <T extends EventType>(type: T, data: EventData<T>, id: string) =>
    broker.publish(type, data, id);

  const messageEventId = (type: string, message: MessageRecord) =>
    `${type}:${message._id.toHexString()}:${(message.deletedAt ?? message.editedAt ?? message.createdAt).getTime()}`;

  async function publishMessage(message: MessageRecord, conversation: Pick<ConversationRecord, 'memberIds'>) {
    for (const type of message.pendingEvents as MessageEventType[]) {
      await publish(
        type,
        { message: toMessage(message), memberIds: memberIdsOf(conversation) },
        messageEventId(type, message),
      );
      await messages.markPublished([message._id], type);
    }
  }

  async function publishOutbox(conversation: ConversationRecord) {
    for (const event of conversation.outbox) {
      await publish(event.type as EventType, event.data as never, event.id);
      await conversations.removeOutboxEvent(conversation._id, event.id);
    }
  }

  const later = (err: unknown) => logger.warn({ err }, 'event not published yet; the relay will retry');

  const onStored = (stored: Array<{ message: MessageRecord; conversation: ConversationRecord }>) => {
    if (!broker.connected) return;
    void (async () => {
      const published: Types.ObjectId[] = [];
      await Promise.all(
        stored.map(async ({ message, conversation }) => {
          await publish(
            'message.created',
            { message: toMessage(message), memberIds: memberIdsOf(conversation) },
            messageEventId('message.created', message),
          );
          published.push(message._id);
        }),
      ).catch(later);
      if (published.length > 0) await messages.markPublished(published, 'message.created').catch(later);
    })();
  };

  const messageEvents: MessageEvents = {
    changed: (message, conversation) => void publishMessage(message, conversation).catch(later),
  };

  const conversationEvents: ConversationEvents = {
    flush: (conversation) => void publishOutbox(conversation).catch(later),
    receipt: (type, { conversationId, userId, seq, memberIds }) => {
      const data = { conversationId, userId, memberIds };
      const sent =
        type === 'conversation.read'
          ? publish(type, { ...data, readSeq: seq }, `${type}:${conversationId}:${userId}:${seq}`)
          : publish(type, { ...data, deliveredSeq: seq }, `${type}:${conversationId}:${userId}:${seq}`);
      // Receipts are marks: a newer one supersedes a lost one, so they are not stored for replay.
      sent.catch((err) => logger.debug({ err }, 'receipt event not published'));
    },
  };

  /** One relay pass covers messages and conversations with pending events. */
  function startEventRelay(intervalMs: number): Relay {
    type Item = { message: MessageRecord } | { conversation: ConversationRecord };
    return startRelay<Item>({
      intervalMs,
      logger,
      pending: async () => {
        if (!broker.connected) return [];
        const [pendingMessages, pendingConversations] = await Promise.all([
          messages.withPendingEvents(200),
          conversations.withPendingEvents(100),
        ]);
        return [
          ...pendingConversations.map((conversation) => ({ conversation })),
          ...pendingMessages.map((message) => ({ message })),
        ];
      },
      publish: async (item) => {
        if ('conversation' in item) return publishOutbox(item.conversation);
        const conversation = await conversations.findById(item.message.conversationId.toHexString());
        await publishMessage(item.message, conversation ?? { memberIds: [] });
      },
    });
  }

  return { onStored, messageEvents, conversationEvents, startEventRelay };
}

/** Learns uploads from `upload.created`, so attachments can be checked without calling upload. */
export async function consumeUploadEvents(deps: {
  broker: Broker;
  messages: MessageStore;
  queuePrefix: string;
}) {
  await deps.broker.consume({
    queue: `${deps.queuePrefix}.uploads`,
    bindings: ['upload.created'],
    handle: async (event) => {
      const { upload } = event.data as EventData<'upload.created'>;
      // Upsert by id: a redelivered event changes nothing.
      await deps.messages.rememberUpload({
        _id: new Types.ObjectId(upload.uploadId),
        uploaderId: new Types.ObjectId(upload.uploaderId),
        name: upload.name,
        mime: upload.mime,
        size: upload.size,
        ...(upload.width ? { width: upload.width } : {}),
        ...(upload.height ? { height: upload.height } : {}),
      });
    },
  });
}
