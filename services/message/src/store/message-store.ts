import type { Attachment, MessageKind } from '@palaver/contracts';
import { type Connection, Schema, Types } from 'mongoose';

const attachmentSchema = new Schema(
  {
    uploadId: { type: Schema.Types.ObjectId, required: true },
    name: String,
    mime: String,
    size: Number,
    width: Number,
    height: Number,
  },
  { _id: false },
);

const messageSchema = new Schema(
  {
    conversationId: { type: Schema.Types.ObjectId, required: true },
    seq: { type: Number, required: true },
    senderId: { type: Schema.Types.ObjectId, required: true },
    clientMessageId: { type: String, required: true },
    kind: { type: String, enum: ['text', 'image', 'file', 'system'], required: true },
    body: { type: String, default: null },
    attachments: { type: [attachmentSchema], default: [] },
    createdAt: { type: Date, required: true },
    editedAt: { type: Date, default: null },
    deletedAt: { type: Date, default: null },
    /** Event types stored with the change but not yet confirmed by the broker. */
    pendingEvents: { type: [String], default: [] },
  },
  { collection: 'messages', versionKey: false },
);
// Seq is the per-conversation order; the unique index is also what makes concurrent
// writers (other replicas) unable to take the same seq.
messageSchema.index({ conversationId: 1, seq: 1 }, { unique: true });
messageSchema.index({ senderId: 1, clientMessageId: 1 }, { unique: true });
messageSchema.index({ 'pendingEvents.0': 1 });

export interface MessageRecord {
  _id: Types.ObjectId;
  conversationId: Types.ObjectId;
  seq: number;
  senderId: Types.ObjectId;
  clientMessageId: string;
  kind: MessageKind;
  body: string | null;
  attachments: Array<Omit<Attachment, 'uploadId'> & { uploadId: Types.ObjectId }>;
  createdAt: Date;
  editedAt: Date | null;
  deletedAt: Date | null;
  pendingEvents: string[];
}

/** What an upload is, learned from `upload.created`: the read model behind attachment checks. */
const knownUploadSchema = new Schema(
  {
    _id: { type: Schema.Types.ObjectId, required: true },
    uploaderId: { type: Schema.Types.ObjectId, required: true },
    name: String,
    mime: String,
    size: Number,
    width: Number,
    height: Number,
  },
  { collection: 'known_uploads', versionKey: false },
);

export interface KnownUploadRecord {
  _id: Types.ObjectId;
  uploaderId: Types.ObjectId;
  name: string;
  mime: string;
  size: number;
  width?: number;
  height?: number;
}

const ids = (values: string[]) => values.map((value) => new Types.ObjectId(value));

const statementsPerCommand = 8;

export function createMessageStore(connection: Connection) {
  const Message = connection.model('Message', messageSchema);
  const KnownUpload = connection.model('KnownUpload', knownUploadSchema);

  return {
    models: [Message, KnownUpload],
    collection: Message.collection,

    /** Inserts in order; on a failure, the documents before it are stored and none after. */
    insertOrdered: (records: MessageRecord[]) => Message.collection.insertMany(records, { ordered: true }),

    highestSeq: async (conversationId: Types.ObjectId): Promise<number> => {
      const last = await Message.findOne({ conversationId })
        .sort({ seq: -1 })
        .select({ seq: 1 })
        .lean()
        .exec();
      return last?.seq ?? 0;
    },

    findById: (id: Types.ObjectId) => Message.findById(id).lean<MessageRecord>().exec(),

    findBySeq: (conversationId: string, seq: number) =>
      Message.findOne({ conversationId: new Types.ObjectId(conversationId), seq })
        .lean<MessageRecord>()
        .exec(),

    /** A page by seq: newest first before `before`, oldest first after `after`. */
    page: (conversationId: string, direction: { before?: number; after?: number }, limit: number) => {
      const conversation = new Types.ObjectId(conversationId);
      if (direction.after !== undefined) {
        return Message.find({ conversationId: conversation, seq: { $gt: direction.after } })
          .sort({ seq: 1 })
          .limit(limit)
          .lean<MessageRecord[]>()
          .exec();
      }
      const filter =
        direction.before !== undefined
          ? { conversationId: conversation, seq: { $lt: direction.before } }
          : { conversationId: conversation };
      return Message.find(filter).sort({ seq: -1 }).limit(limit).lean<MessageRecord[]>().exec();
    },

    lastOf: async (conversationIds: Types.ObjectId[], lastSeqs: number[]) => {
      const pairs = conversationIds
        .map((id, i) => ({ conversationId: id, seq: lastSeqs[i] }))
        .filter((p) => p.seq);
      if (pairs.length === 0) return [];
      return Message.find({ $or: pairs }).lean<MessageRecord[]>().exec();
    },

    /** Applies an edit or tombstone and records its event in the same update. */
    change: (id: Types.ObjectId, set: Partial<MessageRecord>, event: string) =>
      Message.findByIdAndUpdate(id, { $set: set, $push: { pendingEvents: event } }, { new: true })
        .lean<MessageRecord>()
        .exec(),

    /** One update per id in one round trip: id lookups stay cheap on every backend. */
    /**
     * Clears a published event from messages, a few updates per command: FerretDB v1 holds
     * one SQLite connection per statement until a multi-statement update ends, so one
     * command per batch of hundreds exhausted its pool and deadlocked concurrent writers.
     */
    markPublished: async (messageIds: Types.ObjectId[], event: string) => {
      for (let i = 0; i < messageIds.length; i += statementsPerCommand) {
        await Message.bulkWrite(
          messageIds.slice(i, i + statementsPerCommand).map((_id) => ({
            updateOne: { filter: { _id }, update: { $pull: { pendingEvents: event } } },
          })),
          { ordered: false },
        );
      }
    },

    withPendingEvents: (limit: number) =>
      Message.find({ 'pendingEvents.0': { $exists: true } })
        .sort({ _id: 1 })
        .limit(limit)
        .lean<MessageRecord[]>()
        .exec(),

    rememberUpload: (upload: KnownUploadRecord) =>
      KnownUpload.updateOne({ _id: upload._id }, { $set: upload }, { upsert: true }).exec(),

    uploadsOf: (uploaderId: string, uploadIds: string[]) =>
      KnownUpload.find({ _id: { $in: ids(uploadIds) }, uploaderId: new Types.ObjectId(uploaderId) })
        .lean<KnownUploadRecord[]>()
        .exec(),
  };
}

export type MessageStore = ReturnType<typeof createMessageStore>;
