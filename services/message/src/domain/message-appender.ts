import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import { MessageError } from '../errors.ts';
import type { ConversationRecord, ConversationStore } from '../store/conversation-store.ts';
import type { MessageRecord, MessageStore } from '../store/message-store.ts';

/** A message to store, already validated and authorised. */
export interface NewMessage {
  conversation: ConversationRecord;
  senderId: string;
  clientMessageId: string;
  kind: MessageRecord['kind'];
  body: string | null;
  attachments: MessageRecord['attachments'];
}

export interface Appended {
  message: MessageRecord;
  /** False when this was a retry and the original was returned. */
  created: boolean;
}

interface Pending extends NewMessage {
  resolve: (result: Appended) => void;
  reject: (error: unknown) => void;
}

export interface AppenderOptions {
  messages: MessageStore;
  conversations: ConversationStore;
  /** Most sends stored by one insertMany (1 = one by one). */
  maxBatch: number;
  /** How long the first send of a batch waits for company. */
  windowMs: number;
  /** Called after a batch is durably stored (and acknowledged), to publish events. */
  onStored: (stored: Array<{ message: MessageRecord; conversation: ConversationRecord }>) => void;
}

const maxAttempts = 8;

/**
 * A message's id is derived from (sender, clientMessageId), so "was this send already
 * stored?" is a lookup by id — cheap on every MongoDB-compatible backend — and a retry
 * collides on `_id` as well as on the (senderId, clientMessageId) unique index.
 */
export const messageIdFor = (senderId: string, clientMessageId: string) =>
  new Types.ObjectId(
    createHash('sha256').update(`${senderId}\u0000${clientMessageId}`).digest().subarray(0, 12),
  );
const keyOf = (senderId: string, clientMessageId: string) => `${senderId}:${clientMessageId}`;

interface WriteError {
  index: number;
  code?: number;
}

/** Where an ordered insertMany stopped on a duplicate key; rethrows any other failure. */
function duplicateKeyIndex(error: unknown): number {
  const { writeErrors, code } = error as { writeErrors?: WriteError[] | WriteError; code?: number };
  const first = Array.isArray(writeErrors) ? writeErrors[0] : writeErrors;
  if (!first || (first.code ?? code) !== 11000) throw error;
  return first.index;
}

/**
 * Stores sends in batches: concurrent sends wait up to `windowMs` and share one ordered
 * insertMany, and each sender's promise resolves with its own stored message.
 *
 * Seq allocation: one batch is in flight per process, so seqs are handed out without
 * contention here; the unique (conversationId, seq) index catches another replica taking
 * the same seq, and the losers are retried with fresh seqs. An ordered insert stops at the
 * first failure, so no seq is ever skipped: everything from the failure on is retried.
 */
export function createMessageAppender(options: AppenderOptions) {
  const { messages, conversations } = options;
  const nextSeq = new Map<string, number>();
  let queue: Pending[] = [];
  let inFlight: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const schedule = () => {
    if (inFlight) return; // the running batch picks the queue up when it ends
    if (queue.length >= options.maxBatch || options.windowMs <= 0) return void run();
    timer ??= setTimeout(run, options.windowMs);
  };

  const run = () => {
    clearTimeout(timer);
    timer = undefined;
    if (inFlight || queue.length === 0) return;
    const batch = queue.slice(0, options.maxBatch);
    queue = queue.slice(batch.length);
    inFlight = storeBatch(batch)
      .catch((error) => {
        for (const pending of batch) pending.reject(error);
      })
      .finally(() => {
        inFlight = undefined;
        if (queue.length > 0) run();
      });
  };

  /**
   * Next seq for a conversation: from this process's counter, else from the conversation's
   * lastSeq (a lookup by id), else — after a collision — from the messages themselves.
   */
  async function seqFor(conversation: ConversationRecord, collisions: number): Promise<number> {
    const key = conversation._id.toHexString();
    let seq = nextSeq.get(key);
    if (seq === undefined) {
      // lastSeq trails a concurrent writer's inserts by a moment; after repeated
      // collisions, ask the messages themselves.
      seq =
        collisions > 2
          ? (await messages.highestSeq(conversation._id)) + 1
          : ((await conversations.findById(key))?.lastSeq ?? conversation.lastSeq) + 1;
      if (nextSeq.size > 50_000) nextSeq.clear(); // a cache, not a registry: bounded
    }
    nextSeq.set(key, seq + 1);
    return seq;
  }

  async function storeBatch(batch: Pending[]) {
    // Sends with the same (sender, clientMessageId) in one batch are one send.
    const groups = new Map<string, Pending[]>();
    for (const pending of batch) {
      const key = keyOf(pending.senderId, pending.clientMessageId);
      groups.set(key, [...(groups.get(key) ?? []), pending]);
    }
    const settle = (key: string, original: MessageRecord, created: boolean) => {
      const [first, ...twins] = groups.get(key) ?? [];
      groups.delete(key);
      if (first) settleWith(first, original, created);
      for (const twin of twins) settleWith(twin, original, false);
    };
    /** Settles the send stored under `id` already (a retry); false if there is none. */
    const settleStored = async (id: Types.ObjectId) => {
      const found = await messages.findById(id);
      if (found) settle(keyOf(found.senderId.toHexString(), found.clientMessageId), found, false);
      return found !== null;
    };

    // Optimistic: insert, and let the unique indexes say when a send was a retry or a seq
    // was taken by another replica. The common path is one insertMany and no reads.
    const stored: Array<{ message: MessageRecord; conversation: ConversationRecord }> = [];
    let collisions = 0;
    for (let attempt = 1; groups.size > 0; attempt++) {
      if (attempt > maxAttempts)
        throw new MessageError('unavailable', 'Could not allocate a sequence number; retry');
      const remaining = [...groups.values()].map((group) => group[0] as Pending);
      const records: MessageRecord[] = [];
      for (const pending of remaining) {
        records.push({
          _id: messageIdFor(pending.senderId, pending.clientMessageId),
          conversationId: pending.conversation._id,
          seq: await seqFor(pending.conversation, collisions),
          senderId: new Types.ObjectId(pending.senderId),
          clientMessageId: pending.clientMessageId,
          kind: pending.kind,
          body: pending.body,
          attachments: pending.attachments,
          createdAt: new Date(),
          editedAt: null,
          deletedAt: null,
          pendingEvents: ['message.created'],
        });
      }
      let insertedCount = records.length;
      try {
        await messages.insertOrdered(records);
      } catch (error) {
        insertedCount = duplicateKeyIndex(error);
      }
      const inserted = records.slice(0, insertedCount);
      await recordInConversations(inserted);
      for (const [i, message] of inserted.entries()) {
        stored.push({ message, conversation: (remaining[i] as Pending).conversation });
        settle(keyOf(message.senderId.toHexString(), message.clientMessageId), message, true);
      }
      if (groups.size === 0) break;

      // The insert stopped at records[insertedCount]: either that send is a retry of a stored
      // message, or its seq was taken by another replica. Nothing after it was written.
      for (const pending of remaining) nextSeq.delete(pending.conversation._id.toHexString());
      const failed = records[insertedCount] as MessageRecord;
      if (await settleStored(failed._id)) {
        // Its seq is unused: hand it to the next send so no gap opens.
        nextSeq.set(failed.conversationId.toHexString(), failed.seq);
      } else {
        collisions++;
      }
    }
    if (stored.length > 0) options.onStored(stored);
  }

  /** The conversation's lastSeq and activity follow before anyone is acknowledged. */
  async function recordInConversations(inserted: MessageRecord[]) {
    const newest = new Map<string, MessageRecord>();
    for (const message of inserted) {
      const key = message.conversationId.toHexString();
      if ((newest.get(key)?.seq ?? 0) < message.seq) newest.set(key, message);
    }
    await Promise.all(
      [...newest.values()].map((m) => conversations.recordMessages(m.conversationId, m.seq, m.createdAt)),
    );
  }

  function settleWith(pending: Pending, original: MessageRecord, created: boolean) {
    if (!original.conversationId.equals(pending.conversation._id)) {
      pending.reject(
        new MessageError(
          'client_message_id_reused',
          'This clientMessageId was already used for another conversation',
        ),
      );
    } else {
      pending.resolve({ message: original, created });
    }
  }

  return {
    append: (message: NewMessage) =>
      new Promise<Appended>((resolve, reject) => {
        queue.push({ ...message, resolve, reject });
        schedule();
      }),

    /** Waits for queued sends to finish (shutdown). */
    drain: async () => {
      while (inFlight || queue.length > 0) {
        run();
        await inFlight;
      }
    },
  };
}

export type MessageAppender = ReturnType<typeof createMessageAppender>;
