import { isDuplicateKey } from '@palaver/service-kit';
import { LRUCache } from 'lru-cache';
import { type Connection, Schema, type Types } from 'mongoose';

/**
 * A conversation's settings: what only its managers change (the title), never touched
 * by sends. Members, their marks and the per-send head live in documents of their own,
 * so no two concurrent writers share a document (see docs/architecture.md).
 */
const conversationSchema = new Schema(
  {
    type: { type: String, enum: ['direct', 'group'], required: true },
    /** `direct:<a>:<b>` (sorted ids) or `group:<id>`: unique, so a pair has one direct chat. */
    uniqueKey: { type: String, required: true },
    title: { type: String, default: null },
    createdBy: { type: Schema.Types.ObjectId, required: true },
  },
  { collection: 'conversations', timestamps: true, versionKey: false },
);
conversationSchema.index({ uniqueKey: 1 }, { unique: true });

export interface ConversationRecord {
  _id: Types.ObjectId;
  type: 'direct' | 'group';
  uniqueKey: string;
  title: string | null;
  createdBy: Types.ObjectId;
  createdAt: Date;
  updatedAt: Date;
}

/** What every send moves forward; written by the appender only. */
const headSchema = new Schema(
  {
    _id: { type: Schema.Types.ObjectId, required: true },
    lastSeq: { type: Number, required: true },
    lastMessageAt: { type: Date, default: null },
    /** Sort key for activity: last message time, else creation time (ms). */
    activityAt: { type: Number, required: true },
  },
  { collection: 'conversation_heads', versionKey: false },
);

export interface HeadRecord {
  _id: Types.ObjectId;
  lastSeq: number;
  lastMessageAt: Date | null;
  activityAt: number;
}

// Over 80 lines as a whole: a factory whose methods (each short) share its dependencies.
export function createConversationStore(connection: Connection) {
  const Conversation = connection.model('Conversation', conversationSchema);
  const Head = connection.model('ConversationHead', headSchema);
  const kinds = new LRUCache<string, Pick<ConversationRecord, 'type' | 'uniqueKey'>>({ max: 50_000 });

  return {
    models: [Conversation, Head],

    /** Inserts the settings and an empty head; a duplicate uniqueKey throws (code 11000). */
    insert: async (record: ConversationRecord) => {
      await Conversation.collection.insertOne(record);
      await Head.collection.insertOne({
        _id: record._id,
        lastSeq: 0,
        lastMessageAt: null,
        activityAt: record.createdAt.getTime(),
      });
      return record;
    },

    findByUniqueKey: (uniqueKey: string) =>
      Conversation.findOne({ uniqueKey }).lean<ConversationRecord>().exec(),

    findById: (id: Types.ObjectId | string) => Conversation.findById(id).lean<ConversationRecord>().exec(),

    /** A conversation's type and key, which never change: cached, so a send pays a lookup once. */
    kindOf: async (
      id: Types.ObjectId,
    ): Promise<Pick<ConversationRecord, 'type' | 'uniqueKey'> | undefined> => {
      const key = id.toHexString();
      const cached = kinds.get(key);
      if (cached) return cached;
      const found = await Conversation.findById(id, { type: 1, uniqueKey: 1 })
        .lean<ConversationRecord>()
        .exec();
      if (!found) return undefined;
      const kind = { type: found.type, uniqueKey: found.uniqueKey };
      kinds.set(key, kind);
      return kind;
    },

    /** Lookups by id, one each: an `_id` equality is an index lookup on every backend. */
    findByIds: (ids: Types.ObjectId[]) =>
      Promise.all(ids.map((id) => Conversation.findById(id).lean<ConversationRecord>().exec())),

    rename: (id: Types.ObjectId, title: string, at: Date) =>
      Conversation.updateOne({ _id: id }, { $set: { title, updatedAt: at } }).exec(),

    /** The head; a conversation whose head insert was interrupted reads as empty. */
    head: async (id: Types.ObjectId, createdAt: Date): Promise<HeadRecord> =>
      (await Head.findById(id).lean<HeadRecord>().exec()) ?? {
        _id: id,
        lastSeq: 0,
        lastMessageAt: null,
        activityAt: createdAt.getTime(),
      },

    lastSeqOf: async (id: Types.ObjectId) =>
      (await Head.findById(id).select({ lastSeq: 1 }).lean<HeadRecord>().exec())?.lastSeq ?? 0,

    /** Every conversation's id, streamed (a batch job's walk, not a request's). */
    eachId: () => Conversation.find().select({ _id: 1 }).lean<Array<{ _id: Types.ObjectId }>>().cursor(),

    heads: (ids: Types.ObjectId[]) =>
      Promise.all(ids.map((id) => Head.findById(id).lean<HeadRecord>().exec())),

    /**
     * Moves the head forward to a newly stored seq, never back. Only the appender writes
     * heads; two replicas appending to one conversation at once can leave the head a seq
     * behind (updates are not isolated on FerretDB), which the next send or the appender's
     * probe corrects — the messages themselves stay the truth.
     */
    advanceHead: async (id: Types.ObjectId, lastSeq: number, at: Date) => {
      const set = { lastSeq, lastMessageAt: at, activityAt: at.getTime() };
      const result = await Head.updateOne({ _id: id, lastSeq: { $lt: lastSeq } }, { $set: set }).exec();
      if (result.matchedCount > 0) return;
      try {
        await Head.collection.insertOne({ _id: id, ...set });
      } catch (error) {
        if (!isDuplicateKey(error)) throw error; // already at or past it
      }
    },
  };
}

export type ConversationStore = ReturnType<typeof createConversationStore>;
