import { randomUUID } from 'node:crypto';
import type { EventData, EventType } from '@palaver/contracts';
import { type Broker, type Relay, startRelay } from '@palaver/events';
import type { Logger } from '@palaver/logger';
import { Types } from 'mongoose';
import type { ConversationEvents, RecordedEvent } from '../domain/conversation-access.ts';
import { type MessageViews, newMessageParts } from '../domain/message-views.ts';
import type { MessageEvents } from '../domain/messages.ts';
import { memberIdsOf } from '../domain/views.ts';
import type { ChangeStore } from '../store/change-store.ts';
import type { MembershipStore } from '../store/membership-store.ts';
import { knownUpload, type MessageRecord, type MessageStore } from '../store/message-store.ts';
import type { OutboxRecord, OutboxStore } from '../store/outbox-store.ts';
import type { ThreadStore } from '../store/thread-store.ts';

/** Longest a publish of this process keeps the relay off its entry. */
const inFlightMs = 30_000;

/** A `message.created` entry whose message is not stored after this long was never stored. */
const unstoredAfterMs = 5 * 60_000;

// Over 80 lines as a whole: a factory whose methods (each short) share its dependencies.
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
  threads: ThreadStore;
  views: MessageViews;
  changes: ChangeStore;
  outbox: OutboxStore;
  logger: Logger;
}) {
  const { broker, messages, memberships, threads, views, changes, outbox, logger } = deps;

  const publish = <T extends EventType>(type: T, data: EventData<T>, id: string) =>
    broker.publish(type, data, id);

  const later = (err: unknown) => logger.warn({ err }, 'event not published yet; the relay will retry');

  /**
   * Outbox entries this process is publishing right now: the relay leaves them to it, so an
   * event is not published (and a change numbered) twice because a pass read its entry
   * while the first publish waited for the broker's confirm. One stuck longer than
   * `inFlightMs` is the relay's again.
   */
  const inFlight = new Map<string, number>();
  const busy = (entryId: string) => Date.now() - (inFlight.get(entryId) ?? 0) < inFlightMs;
  const publishing = (entryId: string, work: () => Promise<unknown>) => {
    inFlight.set(entryId, Date.now());
    work()
      .then(() => outbox.remove(entryId))
      .catch(later)
      .finally(() => inFlight.delete(entryId));
  };

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
    // A changed message is shown as it is now; a new one has no reactions or replies yet.
    const known = type === 'message.created' ? newMessageParts() : {};
    await Promise.all(
      items.map(async ({ eventId, message }) => {
        const data = {
          message: await views.viewOne(message, known),
          memberIds: await audienceOf(message.conversationId),
        };
        if (type === 'message.created') return publish(type, data, eventId);
        // Numbered just before it is announced: a replayed entry numbers its change again,
        // which `sync` readers take as the same message twice, never as a change missed.
        const changeSeq = await changes.append(message.conversationId, message._id);
        return publish(type, { ...data, changeSeq }, eventId);
      }),
    );
  }

  /**
   * A reaction's or a thread's event takes its change number when it is published, as edits
   * do; a thread's also places its reply (again, harmlessly, unless a crash stopped the send
   * before it could) and tells the root's summary as it is now. Null: nothing to publish.
   */
  async function withChange(event: RecordedEvent): Promise<object | null> {
    if (!event.conversationId) return event.data;
    if (event.type === 'message.reaction') {
      const { messageId } = event.data as { messageId: string };
      return {
        ...event.data,
        changeSeq: await changes.append(event.conversationId, new Types.ObjectId(messageId)),
      };
    }
    if (event.type !== 'message.thread') return event.data;
    const { replyId, ...data } = event.data as { rootId: string; replyId: string };
    const [root, reply] = await Promise.all([
      messages.findById(new Types.ObjectId(data.rootId)),
      messages.findById(new Types.ObjectId(replyId)),
    ]);
    if (!root || !reply) return null;
    await threads.addReply(root, reply);
    return {
      ...data,
      thread: await threads.summaryOf(root._id),
      changeSeq: await changes.append(event.conversationId, root._id),
    };
  }

  const created = (messages: MessageRecord[]) =>
    messages.map((message) => ({ eventId: `message.created:${message._id.toHexString()}`, message }));

  /** Publishes a stored batch; its outbox entry goes once the broker confirmed every message. */
  const onStored = (stored: MessageRecord[], entryId: string) => {
    if (!broker.connected) return;
    publishing(entryId, () => publishMessages('message.created', created(stored)));
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
          messageIds: [message._id],
          data: null,
        },
      ]);
      return id;
    },
    publish: (type, eventId, message) =>
      publishing(eventId, () => publishMessages(type, [{ eventId, message }])),
    discard: async (eventId) => {
      await outbox.remove(eventId);
    },
  };

  async function publishRecorded(events: RecordedEvent[]) {
    for (const event of events) {
      const data = await withChange(event);
      if (data) await publish(event.type, data as never, event.id);
      await outbox.remove(event.id);
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
          messageIds: [],
          data: event.data,
        })),
      );
      return recorded;
    },
    publish: (events) => {
      for (const event of events) inFlight.set(event.id, Date.now());
      publishRecorded(events)
        .catch(later)
        .finally(() => {
          for (const event of events) inFlight.delete(event.id);
        });
    },
    discard: async (events) => {
      await Promise.all(events.map((event) => outbox.remove(event.id)));
    },
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
    if (entry.messageIds.length === 0) {
      return publishRecorded([
        {
          id: entry._id,
          type: entry.type as RecordedEvent['type'],
          conversationId: entry.conversationId,
          data: entry.data ?? {},
        },
      ]);
    }
    const found = (await Promise.all(entry.messageIds.map((id) => messages.findById(id)))).filter(
      (m): m is MessageRecord => m !== null,
    );
    if (entry.type === 'message.created') await publishMessages('message.created', created(found));
    else if (found[0])
      await publishMessages(entry.type as 'message.updated', [{ eventId: entry._id, message: found[0] }]);
    // An entry is recorded ahead of its sends; one still missing some was for sends that
    // were never stored (or are being stored right now: kept until surely not).
    if (found.length === entry.messageIds.length || Date.now() - entry.at.getTime() > unstoredAfterMs) {
      await outbox.remove(entry._id);
    }
  }

  function startEventRelay(intervalMs: number): Relay {
    return startRelay<OutboxRecord>({
      intervalMs,
      logger,
      pending: async () =>
        broker.connected ? (await outbox.pending(200)).filter((entry) => !busy(entry._id)) : [],
      publish: replay,
      key: (entry) => entry._id,
      // A conversation's events keep their order; other conversations' go out meanwhile.
      lane: (entry) => entry.conversationId?.toHexString() ?? '',
      broker,
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
      // Inserted under its id, facts that never change: a redelivered event changes nothing.
      await deps.messages.rememberUpload(knownUpload({ ...upload, id: upload.uploadId }));
    },
  });
}
