import { Types } from 'mongoose';
import { describe, expect, it } from 'vitest';
import type { ConversationStore } from '../store/conversation-store.ts';
import type { MessageRecord, MessageStore } from '../store/message-store.ts';
import type { OutboxStore } from '../store/outbox-store.ts';
import { type Appended, createMessageAppender, type NewMessage } from './message-appender.ts';

/**
 * A store in memory with the two unique keys of `messages` (`_id`, and conversation + seq),
 * and the insert behaviours the appender must survive: stopping at the first duplicate
 * (MongoDB), going on after one (FerretDB past its first 100), or failing part-way.
 */
function memoryStore(options: { goesOnAfterDuplicates?: boolean } = {}) {
  const byId = new Map<string, MessageRecord>();
  const bySeq = new Map<string, MessageRecord>();
  const seqKey = (conversationId: Types.ObjectId | string, seq: number) => `${conversationId}:${seq}`;
  const heads = new Map<string, number>();
  let failAfter: number | undefined;

  const messages = {
    async insertOrdered(records: MessageRecord[]) {
      await Promise.resolve();
      const writeErrors: Array<{ index: number; code: number }> = [];
      for (const [index, record] of records.entries()) {
        if (failAfter !== undefined && failAfter-- <= 0) {
          failAfter = undefined;
          throw Object.assign(new Error('connection reset'), { code: 'ECONNRESET' });
        }
        if (byId.has(String(record._id)) || bySeq.has(seqKey(record.conversationId, record.seq))) {
          writeErrors.push({ index, code: 11000 });
          if (!options.goesOnAfterDuplicates) break;
          continue;
        }
        byId.set(String(record._id), record);
        bySeq.set(seqKey(record.conversationId, record.seq), record);
      }
      if (writeErrors.length > 0) throw Object.assign(new Error('E11000 duplicate key'), { writeErrors });
    },
    findById: async (id: Types.ObjectId) => byId.get(String(id)) ?? null,
    findBySeq: async (conversationId: string, seq: number) => bySeq.get(seqKey(conversationId, seq)) ?? null,
    highestSeqFrom: async (conversationId: Types.ObjectId, known: number) => {
      let seq = known;
      while (bySeq.has(seqKey(conversationId, seq + 1))) seq++;
      return seq;
    },
  };
  const conversations = {
    lastSeqOf: async (id: Types.ObjectId) => heads.get(String(id)) ?? 0,
    advanceHead: async (id: Types.ObjectId, lastSeq: number) => {
      heads.set(String(id), Math.max(heads.get(String(id)) ?? 0, lastSeq));
    },
  };
  const outbox = { add: async () => {} };
  return {
    stores: {
      messages: messages as unknown as MessageStore,
      conversations: conversations as unknown as ConversationStore,
      outbox: outbox as unknown as OutboxStore,
    },
    seqsOf: (conversationId: Types.ObjectId) =>
      [...bySeq.values()]
        .filter((m) => m.conversationId.equals(conversationId))
        .map((m) => m.seq)
        .sort((a, b) => a - b),
    count: () => byId.size,
    /** The next insert stores `n` records, then fails without saying which. */
    failAfter: (n: number) => {
      failAfter = n;
    },
    storeDirectly: (record: MessageRecord) => {
      byId.set(String(record._id), record);
      bySeq.set(seqKey(record.conversationId, record.seq), record);
    },
  };
}

const appenderOn = (
  store: ReturnType<typeof memoryStore>,
  maxBatch = 256,
  limits: { maxQueue?: number; deadlineMs?: number } = {},
) =>
  createMessageAppender({
    ...store.stores,
    maxBatch,
    windowMs: 1,
    maxQueue: limits.maxQueue ?? 10_000,
    deadlineMs: limits.deadlineMs ?? 60_000,
    onStored: () => {},
  });

const conversation = () => new Types.ObjectId();
const sender = () => new Types.ObjectId().toHexString();
const send = (conversationId: Types.ObjectId, senderId: string, clientMessageId: string): NewMessage => ({
  conversationId,
  senderId,
  clientMessageId,
  kind: 'text',
  body: clientMessageId,
  attachments: [],
  mentions: [],
});
const oneToN = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('message appender', () => {
  it('gives concurrent sends one seq each, 1..n, and resolves each with its own message', async () => {
    const store = memoryStore();
    const appender = appenderOn(store);
    const chat = conversation();
    const alice = sender();
    const results = await Promise.all(oneToN(300).map((i) => appender.append(send(chat, alice, `m${i}`))));
    expect(results.map((r) => r.message.seq).sort((a, b) => a - b)).toEqual(oneToN(300));
    expect(results.every((r, i) => r.created && r.message.clientMessageId === `m${i + 1}`)).toBe(true);
    expect(store.seqsOf(chat)).toEqual(oneToN(300));
  });

  it("probes the numbering of a batch's new conversations side by side, each from what is stored", async () => {
    const store = memoryStore();
    const chats = Array.from({ length: 8 }, conversation);
    const alice = sender();
    // Stored before this process knew them (another replica, an earlier run).
    for (const [i, chat] of chats.entries())
      for (const seq of oneToN(i))
        store.storeDirectly({
          ...send(chat, alice, `old-${i}-${seq}`),
          _id: new Types.ObjectId(),
          seq,
        } as never);
    let probing = 0;
    let mostAtOnce = 0;
    const lastSeqOf = store.stores.conversations.lastSeqOf;
    store.stores.conversations.lastSeqOf = async (id) => {
      mostAtOnce = Math.max(mostAtOnce, ++probing);
      await new Promise((resolve) => setTimeout(resolve, 20));
      probing--;
      return lastSeqOf(id);
    };
    const appender = appenderOn(store);
    const results = await Promise.all(chats.map((chat, i) => appender.append(send(chat, alice, `new-${i}`))));
    expect(results.map((r) => r.message.seq)).toEqual(chats.map((_, i) => i + 1));
    expect(mostAtOnce).toBe(chats.length);
  });

  it('answers a retry with the original and spends no seq on it', async () => {
    const store = memoryStore();
    const appender = appenderOn(store);
    const chat = conversation();
    const alice = sender();
    const first = await appender.append(send(chat, alice, 'once'));
    const [again, twinA, twinB] = await Promise.all([
      appender.append(send(chat, alice, 'once')),
      appender.append(send(chat, alice, 'twin')),
      appender.append(send(chat, alice, 'twin')),
    ]);
    expect(again).toEqual({ message: first.message, created: false });
    expect([twinA.created, twinB.created].sort()).toEqual([false, true]);
    expect(twinA.message).toEqual(twinB.message);
    expect(store.seqsOf(chat)).toEqual([1, 2]);
  });

  it('refuses a clientMessageId already used in another conversation', async () => {
    const store = memoryStore();
    const appender = appenderOn(store);
    const alice = sender();
    await appender.append(send(conversation(), alice, 'shared'));
    await expect(appender.append(send(conversation(), alice, 'shared'))).rejects.toMatchObject({
      code: 'client_message_id_reused',
    });
  });

  for (const goesOnAfterDuplicates of [false, true]) {
    it(`stays gapless when big batches hold retries (store ${goesOnAfterDuplicates ? 'goes on' : 'stops'} after a duplicate)`, async () => {
      const store = memoryStore({ goesOnAfterDuplicates });
      const appender = appenderOn(store);
      const chat = conversation();
      const senders = [sender(), sender(), sender()];
      const ids = oneToN(250).map((i) => ({ senderId: senders[i % 3] as string, clientMessageId: `b${i}` }));
      const stored = await Promise.all(
        ids.slice(0, 40).map((m) => appender.append(send(chat, m.senderId, m.clientMessageId))),
      );
      // The rest arrive together with retries of 40 already stored: one batch, duplicates inside.
      const results = await Promise.all(
        [...ids.slice(40), ...ids.slice(0, 40)].map((m) =>
          appender.append(send(chat, m.senderId, m.clientMessageId)),
        ),
      );
      expect(store.seqsOf(chat)).toEqual(oneToN(250));
      const retried = results.slice(210);
      expect(retried.map((r) => r.message)).toEqual(stored.map((r) => r.message));
      expect(retried.every((r) => !r.created)).toBe(true);
      expect(results.slice(0, 210).every((r) => r.created)).toBe(true);
    });
  }

  it('keeps two replicas writing one conversation gapless, each send stored once', async () => {
    const store = memoryStore({ goesOnAfterDuplicates: true });
    const [one, two] = [appenderOn(store, 7), appenderOn(store, 11)];
    const chat = conversation();
    const alice = sender();
    const results: Appended[] = await Promise.all(
      oneToN(400).map((i) => (i % 2 ? one : two).append(send(chat, alice, `r${i}`))),
    );
    expect(store.seqsOf(chat)).toEqual(oneToN(400));
    expect(new Set(results.map((r) => r.message.seq)).size).toBe(400);
    expect(store.count()).toBe(400);
  });

  it('hands out next the seq another writer left free, instead of trusting its counter', async () => {
    const store = memoryStore();
    const appender = appenderOn(store);
    const chat = conversation();
    const alice = sender();
    await appender.append(send(chat, alice, 'a'));
    // Another replica stores seq 2 and 3 behind this one's back.
    for (const seq of [2, 3]) {
      store.storeDirectly({
        ...(await appender.append(send(conversation(), alice, `elsewhere-${seq}`))).message,
        _id: new Types.ObjectId(),
        conversationId: chat,
        seq,
        clientMessageId: `other-${seq}`,
      });
    }
    const next = await appender.append(send(chat, alice, 'b'));
    expect(next.message.seq).toBe(4);
    expect(store.seqsOf(chat)).toEqual([1, 2, 3, 4]);
  });

  it('fails a batch the store broke off part-way, and its retries complete it without a gap', async () => {
    const store = memoryStore();
    const appender = appenderOn(store);
    const chat = conversation();
    const alice = sender();
    store.failAfter(3);
    const first = await Promise.allSettled(oneToN(8).map((i) => appender.append(send(chat, alice, `f${i}`))));
    expect(first.some((r) => r.status === 'rejected')).toBe(true);
    // Clients retry everything that was not acknowledged; nothing is doubled, nothing skipped.
    const retries = await Promise.all(
      oneToN(8)
        .filter((_, i) => first[i]?.status === 'rejected')
        .map((i) => appender.append(send(chat, alice, `f${i}`))),
    );
    expect(retries.every((r) => r.message.clientMessageId.startsWith('f'))).toBe(true);
    expect(store.seqsOf(chat)).toEqual(oneToN(8));
    const more = await appender.append(send(chat, alice, 'after'));
    expect(more.message.seq).toBe(9);
  });

  it('sheds load: past the queue limit a send is refused at once with a retry hint', async () => {
    const store = memoryStore();
    const appender = appenderOn(store, 256, { maxQueue: 5 });
    const chat = conversation();
    const alice = sender();
    const results = await Promise.allSettled(
      oneToN(20).map((i) => appender.append(send(chat, alice, `q${i}`))),
    );
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused).toHaveLength(15);
    expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({
      code: 'unavailable',
      retryAfterSeconds: 1,
    });
    expect(store.seqsOf(chat)).toEqual(oneToN(5));
  });

  it('drops sends whose caller gave up or whose deadline passed before they were stored', async () => {
    const store = memoryStore();
    const chat = conversation();
    const alice = sender();
    const gaveUp = new AbortController();
    const appender = appenderOn(store);
    const abandoned = appender.append({ ...send(chat, alice, 'gone'), signal: gaveUp.signal });
    gaveUp.abort();
    await expect(abandoned).rejects.toMatchObject({ code: 'unavailable' });

    const late = appenderOn(store, 256, { deadlineMs: -1 });
    await expect(late.append(send(chat, alice, 'late'))).rejects.toMatchObject({ code: 'unavailable' });
    expect(store.count()).toBe(0);
    // Nothing was stored, so nothing left a gap: the next send is seq 1.
    expect((await appender.append(send(chat, alice, 'kept'))).message.seq).toBe(1);
  });
});
