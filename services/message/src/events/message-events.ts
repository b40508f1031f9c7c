import { randomUUID } from 'node:crypto';
import type { EventData, EventType } from '@palaver/contracts';
import { type Broker, type Relay, startRelay } from '@palaver/events';
import type { Logger } from '@palaver/logger';
import { Types } from 'mongoose';
import type { ConversationEvents, RecordedEvent } from '../domain/conversation-access.ts';
import type { MessageEvents } from '../domain/messages.ts';
import { memberIdsOf, toMessage } from '../domain/views.ts';
import type { MembershipStore } from '../store/membership-store.ts';
import type { MessageRecord, MessageStore } from '../store/message-store.ts';
import type { OutboxRecord, OutboxStore } from '../store/outbox-store.ts';

/** A `message.created` entry whose message is not stored after this long was never stored. */
const unstoredAfterMs = 5 * 60_000;

/**
 * Publishes what the outbox holds, then deletes the entry. Every event is in the outbox
 * before the change is acknowledged, so a failed publish loses nothing: the relay finds
 * the entry and tries again. Event ids are the entries' ids, stable per change, so a
 * republished event is recognisable to idempotent consumers.
 */
export function createEventPublisher(deps: {
  broker: Broker;
  messages: MessageStore;
  memberships: MembershipStore;
  outbox: OutboxStore;
  logger: Logger;
}) {
  const { broker, messages, memberships, outbox, logger } = deps;

  const publish = <T extends EventType>(type: T, data: EventData<T>, id: string) =>
    broker.publish(type, data, id);

  const later = (err: unknown) => logger.warn({ err }, 'event not published yet; the relay will retry');

  /** Message events go to the members as they are when published. */
  async function publishMessages(
    type: 'message.created' | 'message.updated' | 'message.deleted',
    items: Array<{ eventId: string; message: MessageRecord }>,
  ) {
    const audiences = new Map<string, Promise<string[]>>();
    const audienceOf = (conversationId: Types.ObjectId) => {
      const key = conversationId.toHexString();
      let audience = audiences.get(key);
      if (!audience) {
        audience = memberships.ofConversation(conversationId).then(memberIdsOf);
        audiences.set(key, audience);
      }
      return audience;
    };
    const published: string[] = [];
    await Promise.all(
      items.map(async ({ eventId, message }) => {
        await publish(
          type,
          { message: toMessage(message), memberIds: await audienceOf(message.conversationId) },
          eventId,
        );
        published.push(eventId);
      }),
    ).finally(() => outbox.remove(published));
  }

  const messageCreatedId = (message: MessageRecord) => `message.created:${message._id.toHexString()}`;

  const onStored = (stored: MessageRecord[]) => {
    if (!broker.connected) return;
    publishMessages(
      'message.created',
      stored.map((message) => ({ eventId: messageCreatedId(message), message })),
    ).catch(later);
  };

  const messageEvents: MessageEvents = {
    record: async (type, message) => {
      const id = `${type}:${message._id.toHexString()}:${randomUUID()}`;
      await outbox.add([
        {
          _id: id,
          type,
          at: new Date(),
          conversationId: message.conversationId,
          messageId: message._id,
          data: null,
        },
      ]);
      return id;
    },
    publish: (eventId, message) => {
      const type = eventId.startsWith('message.deleted') ? 'message.deleted' : 'message.updated';
      publishMessages(type, [{ eventId, message }]).catch(later);
    },
  };

  async function publishRecorded(events: RecordedEvent[]) {
    for (const event of events) {
      await publish(event.type, event.data as never, event.id);
      await outbox.remove([event.id]);
    }
  }

  const conversationEvents: ConversationEvents = {
    record: async (events) => {
      const at = new Date();
      const recorded = events.map((event) => ({ ...event, id: `${event.type}:${randomUUID()}` }));
      await outbox.add(
        recorded.map((event) => ({
          _id: event.id,
          type: event.type,
          at,
          conversationId: event.conversationId,
          messageId: null,
          data: event.data,
        })),
      );
      return recorded;
    },
    publish: (events) => void publishRecorded(events).catch(later),
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

  /** Replays the outbox oldest first: what was recorded but not confirmed by the broker. */
  async function replay(entry: OutboxRecord) {
    if (!entry.messageId) {
      return publishRecorded([
        {
          id: entry._id,
          type: entry.type as RecordedEvent['type'],
          conversationId: entry.conversationId,
          data: entry.data ?? {},
        },
      ]);
    }
    const message = await messages.findById(entry.messageId);
    if (!message) {
      // Recorded ahead of a send that was never stored (or is still being stored).
      if (Date.now() - entry.at.getTime() > unstoredAfterMs) await outbox.remove([entry._id]);
      return;
    }
    await publishMessages(entry.type as 'message.created', [{ eventId: entry._id, message }]);
  }

  function startEventRelay(intervalMs: number): Relay {
    return startRelay<OutboxRecord>({
      intervalMs,
      logger,
      pending: async () => (broker.connected ? outbox.pending(200) : []),
      publish: replay,
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
      // Upsert by id of immutable facts: a redelivered event changes nothing.
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
