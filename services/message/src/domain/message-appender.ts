import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { duplicateIndexes, isDuplicateKey } from '@palaver/service-kit';
import { Types } from 'mongoose';
import { MessageError } from '../errors.ts';
import type { ConversationStore } from '../store/conversation-store.ts';
import { blockOf, type MessageRecord, type MessageStore } from '../store/message-store.ts';
import type { OutboxStore } from '../store/outbox-store.ts';

/** A message to store, already validated and authorised. */
export interface NewMessage {
  /** Aborted when the caller gives up (its request closed): the send is then not stored. */
  signal?: AbortSignal;
  conversationId: Types.ObjectId;
  senderId: string;
  clientMessageId: string;
  kind: MessageRecord['kind'];
  body: string | null;
  attachments: MessageRecord['attachments'];
  mentions: MessageRecord['mentions'];
  replyTo?: MessageRecord['replyTo'];
  threadRootSeq?: MessageRecord['threadRootSeq'];
}

export interface Appended {
  message: MessageRecord;
  /** False when this was a retry and the original was returned. */
  created: boolean;
}

interface Pending extends NewMessage {
  resolve: (result: Appended) => void;
  reject: (error: unknown) => void;
  /** After this (ms since the epoch) the send is refused rather than stored. */
  deadline: number;
}

export interface AppenderOptions {
  messages: MessageStore;
  conversations: ConversationStore;
  outbox: OutboxStore;
  /** Most sends one batch takes from the queue (1 = one by one). */
  maxBatch: number;
  /** How long the first send of a batch waits for company. */
  windowMs: number;
  /** Sends waiting beyond this are refused at once with 503 and `Retry-After`. */
  maxQueue: number;
  /** A send not stored within this is refused (its caller is about to give up anyway). */
  deadlineMs: number;
  /** Called once a batch is stored and acknowledged, to publish it and clear its outbox entry. */
  onStored: (messages: MessageRecord[], outboxEntryId: string) => void;
}

/**
 * Inserts in a row that stored nothing (every seq taken by another replica) before a batch
 * gives up with 503. Each one means another replica made progress, so this only bounds a
 * send starved by a busier writer; sends past their deadline are dropped before this.
 */
const maxFruitlessAttempts = 20;
/** Upper bound of the random pause after a collision, so two replicas stop colliding in step. */
const collisionBackoffMs = (attempt: number) => Math.random() * Math.min(50, 2 ** attempt);
/**
 * Documents per insert. FerretDB inserts in batches of 100 and, past the first, goes on
 * after a duplicate even when asked to stop; within 100 it stops as MongoDB does.
 */
const insertChunk = 100;

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

// Over 80 lines as a whole: a factory whose methods (each short) share its dependencies.
/**
 * Stores sends in batches: concurrent sends wait up to `windowMs` and share one insert,
 * and each sender's promise resolves with its own stored message.
 *
 * Seqs are gapless: one batch is in flight per process and hands seqs out from a counter
 * per conversation; the unique (conversationId, seq) index stops another replica taking
 * the same one. After any failed insert the batch looks at what was really stored — it
 * never trusts the store to have stopped where it said — and reseeds the counter from the
 * messages themselves, so a seq left unused by a retry or a collision is handed out next.
 */
export function createMessageAppender(options: AppenderOptions) {
  const { messages, conversations, outbox } = options;
  const nextSeq = new Map<string, number>();
  /** Seqs known to be free below stored ones (only if a store went on past a failure). */
  const holes = new Map<string, number[]>();
  let queue: Pending[] = [];
  let inFlight: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const schedule = () => {
    if (inFlight) return; // the running batch picks the queue up when it ends
    if (queue.length >= options.maxBatch || options.windowMs <= 0) return void run();
    timer ??= setTimeout(run, options.windowMs);
  };

  const overloaded = (message: string) =>
    new MessageError('unavailable', message, undefined, { retryAfterSeconds: 1 });

  /** Work nobody waits for any more is dropped before it costs a write. */
  const stillWanted = (pending: Pending) => {
    if (pending.signal?.aborted) {
      pending.reject(overloaded('The request was abandoned'));
      return false;
    }
    if (Date.now() > pending.deadline) {
      pending.reject(overloaded('The message service is overloaded; retry shortly'));
      return false;
    }
    return true;
  };

  const run = () => {
    clearTimeout(timer);
    timer = undefined;
    if (inFlight) return;
    queue = queue.filter(stillWanted);
    if (queue.length === 0) return;
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
   * Probes at once where the numbering of each conversation this process does not know yet
   * stands, rather than one after another in `seqFor`: after a start, or when sends spread
   * over many conversations, a batch of 8 cold ones took 170 ms of sequential probes while
   * every other send waited for it (one batch is stored at a time).
   */
  async function learnNextSeqs(conversationIds: Types.ObjectId[]) {
    const unknown = new Map<string, Types.ObjectId>();
    for (const id of conversationIds) if (!nextSeq.has(id.toHexString())) unknown.set(id.toHexString(), id);
    await Promise.all(
      [...unknown].map(async ([key, id]) => {
        const head = await conversations.lastSeqOf(id);
        const next = (await messages.highestSeqFrom(id, head)) + 1;
        if (!nextSeq.has(key)) nextSeq.set(key, next);
      }),
    );
  }

  async function seqFor(conversationId: Types.ObjectId): Promise<number> {
    const key = conversationId.toHexString();
    const hole = holes.get(key)?.shift();
    if (hole !== undefined) return hole;
    let seq = nextSeq.get(key);
    if (seq === undefined) {
      // The head may trail what is stored (another replica, an interrupted batch): probe.
      const head = await conversations.lastSeqOf(conversationId);
      seq = (await messages.highestSeqFrom(conversationId, head)) + 1;
      if (nextSeq.size > 50_000) nextSeq.clear(); // a cache, not a registry: bounded
    }
    nextSeq.set(key, seq + 1);
    return seq;
  }

  function recordOf(pending: Pending, seq: number): MessageRecord {
    return {
      _id: messageIdFor(pending.senderId, pending.clientMessageId),
      conversationId: pending.conversationId,
      seq,
      block: blockOf(seq),
      senderId: new Types.ObjectId(pending.senderId),
      clientMessageId: pending.clientMessageId,
      kind: pending.kind,
      body: pending.body,
      attachments: pending.attachments,
      mentions: pending.mentions,
      replyTo: pending.replyTo ?? null,
      threadRootSeq: pending.threadRootSeq ?? null,
      createdAt: new Date(),
      editedAt: null,
      deletedAt: null,
    };
  }

  async function storeBatch(batch: Pending[]) {
    // Sends with the same (sender, clientMessageId) in one batch are one send.
    const groups = new Map<string, Pending[]>();
    for (const pending of batch) {
      const key = keyOf(pending.senderId, pending.clientMessageId);
      groups.set(key, [...(groups.get(key) ?? []), pending]);
    }
    const settle = (original: MessageRecord, created: boolean) => {
      const key = keyOf(original.senderId.toHexString(), original.clientMessageId);
      const [first, ...twins] = groups.get(key) ?? [];
      groups.delete(key);
      if (first) settleWith(first, original, created);
      for (const twin of twins) settleWith(twin, original, false);
    };

    // One outbox entry announces the batch, written alongside the first insert and
    // before anyone is acknowledged: whatever is stored and acknowledged gets published,
    // by this process or by the relay (which drops an entry whose messages never came).
    const messageIds = [...groups.values()].map(([first]) =>
      messageIdFor((first as Pending).senderId, (first as Pending).clientMessageId),
    );
    const entryId = `message.created:batch:${randomUUID()}`;
    let recorded: Promise<void> | undefined = outbox.add([
      {
        _id: entryId,
        type: 'message.created',
        at: new Date(),
        conversationId: null,
        messageIds,
        data: null,
      },
    ]);
    recorded.catch(() => undefined); // awaited below; a failure fails the batch

    const announced: MessageRecord[] = [];
    let fruitless = 0;
    let collisions = 0;
    while (groups.size > 0) {
      if (fruitless >= maxFruitlessAttempts)
        throw new MessageError('unavailable', 'Could not allocate a sequence number; retry');
      if (collisions > 0) {
        await sleep(collisionBackoffMs(collisions));
        dropAbandoned(groups);
        if (groups.size === 0) break;
      }
      const remaining = [...groups.values()].slice(0, insertChunk).map((group) => group[0] as Pending);
      const records: MessageRecord[] = [];
      await learnNextSeqs(remaining.map((pending) => pending.conversationId));
      for (const pending of remaining) {
        const seq = await seqFor(pending.conversationId);
        records.push(recordOf(pending, seq));
      }
      const [outcome] = await Promise.all([insertAndCheck(records), recorded]);
      recorded = undefined;
      await advanceHeads(outcome.inserted);
      for (const message of outcome.inserted) settle(message, true);
      for (const original of outcome.retried) settle(original, false);
      announced.push(...outcome.inserted, ...outcome.retried);
      if (!outcome.complete) collisions++;
      fruitless = outcome.inserted.length + outcome.retried.length === 0 ? fruitless + 1 : 0;
    }
    // A retry announces its original again: if the first attempt died before publishing,
    // this is what delivers it; consumers drop repeats by event id.
    options.onStored(announced, entryId);
  }

  /** Between attempts, sends whose callers gave up are refused rather than retried. */
  function dropAbandoned(groups: Map<string, Pending[]>) {
    for (const [key, group] of groups) {
      const wanted = group.filter(stillWanted);
      if (wanted.length === 0) groups.delete(key);
      else groups.set(key, wanted);
    }
  }

  /**
   * Inserts, and on a duplicate looks at what is really stored. Before the first reported
   * failure everything is ours; a reported failure is not, and its record's id tells a
   * retry (a message is stored under it) from a seq taken by another replica (nothing is).
   * After it, the store should have stopped; what it stored anyway is read back.
   */
  async function insertAndCheck(records: MessageRecord[]) {
    let failed: Set<number>;
    try {
      await messages.insertOrdered(records);
      return { inserted: records, retried: [] as MessageRecord[], complete: true };
    } catch (error) {
      if (!isDuplicateKey(error)) {
        // The store failed mid-way: nothing is acknowledged, and counters restart from
        // what it did store.
        forgetCounters(records);
        throw error;
      }
      failed = new Set(duplicateIndexes(error));
    }
    // Without positions (not a bulk error) nothing is taken on trust: every record is read back.
    const first = failed.size > 0 ? Math.min(...failed) : 0;
    const inserted = records.slice(0, first);
    const retried: MessageRecord[] = [];
    const rest = records.slice(first);
    const stored = await Promise.all(rest.map((record) => messages.findById(record._id)));
    for (const [offset, record] of rest.entries()) {
      const found = stored[offset];
      if (!found) continue;
      const ours =
        !failed.has(first + offset) &&
        found.seq === record.seq &&
        found.createdAt.getTime() === record.createdAt.getTime();
      if (ours) inserted.push(record);
      else retried.push(found);
    }
    // Seqs this attempt left unused below one it stored, and nobody else took, are holes
    // to fill first (only a store that went on past the failure leaves any).
    for (const [key, seqs] of seqsByConversation(records)) {
      const used = new Set(inserted.filter((m) => m.conversationId.toHexString() === key).map((m) => m.seq));
      const top = Math.max(0, ...used);
      const unused = seqs.filter((seq) => !used.has(seq) && seq < top);
      const taken = await Promise.all(unused.map((seq) => messages.findBySeq(key, seq)));
      const free = unused.filter((_, i) => taken[i] === null);
      if (free.length > 0)
        holes.set(
          key,
          [...(holes.get(key) ?? []), ...free].sort((a, b) => a - b),
        );
    }
    forgetCounters(records);
    return { inserted, retried, complete: false };
  }

  const forgetCounters = (records: MessageRecord[]) => {
    for (const record of records) nextSeq.delete(record.conversationId.toHexString());
  };

  const seqsByConversation = (records: MessageRecord[]) => {
    const byConversation = new Map<string, number[]>();
    for (const record of records) {
      const key = record.conversationId.toHexString();
      byConversation.set(key, [...(byConversation.get(key) ?? []), record.seq]);
    }
    return byConversation;
  };

  /** Heads follow before anyone is acknowledged. */
  async function advanceHeads(inserted: MessageRecord[]) {
    const newest = new Map<string, MessageRecord>();
    for (const message of inserted) {
      const key = message.conversationId.toHexString();
      if ((newest.get(key)?.seq ?? 0) < message.seq) newest.set(key, message);
    }
    await Promise.all(
      [...newest.values()].map((m) => conversations.advanceHead(m.conversationId, m.seq, m.createdAt)),
    );
  }

  function settleWith(pending: Pending, original: MessageRecord, created: boolean) {
    if (!original.conversationId.equals(pending.conversationId)) {
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
    /** Refuses at once when the queue is full: callers check before doing any other work. */
    admit: () => {
      if (queue.length >= options.maxQueue)
        throw overloaded('The message service is overloaded; retry shortly');
    },

    append: (message: NewMessage) =>
      new Promise<Appended>((resolve, reject) => {
        // Shed load early: a queue this long will not be stored before callers give up.
        if (queue.length >= options.maxQueue) {
          reject(overloaded('The message service is overloaded; retry shortly'));
          return;
        }
        queue.push({ ...message, resolve, reject, deadline: Date.now() + options.deadlineMs });
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
