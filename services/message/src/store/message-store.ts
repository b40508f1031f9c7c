import { type Attachment, type FileFacts, fileFacts, type MessageKind } from '@palaver/contracts';
import { isDuplicateKey } from '@palaver/service-kit';
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
    /** Members named by `@username` in the body. */
    mentions: { type: [Schema.Types.ObjectId], default: [] },
    /** The message this one quotes (its current state is read with it). */
    replyTo: {
      type: new Schema(
        {
          messageId: { type: Schema.Types.ObjectId, required: true },
          seq: { type: Number, required: true },
          senderId: { type: Schema.Types.ObjectId, required: true },
        },
        { _id: false },
      ),
      default: null,
    },
    /** The seq of its thread's root, when posted in a thread. */
    threadRootSeq: { type: Number, default: null },
    createdAt: { type: Date, required: true },
    editedAt: { type: Date, default: null },
    deletedAt: { type: Date, default: null },
    /** `floor(seq / blockSize)`: a page is read as one or two equality lookups on it. */
    block: { type: Number, required: true },
  },
  { collection: 'messages', versionKey: false },
);
// Seq is the per-conversation order; the unique index is also what makes concurrent
// writers (other replicas) unable to take the same seq.
messageSchema.index({ conversationId: 1, seq: 1 }, { unique: true });
messageSchema.index({ senderId: 1, clientMessageId: 1 }, { unique: true });
// Equality only: FerretDB serves equality filters from an index but not ranges or sorts.
messageSchema.index({ conversationId: 1, block: 1 });

/**
 * Seqs per block. Seqs are gapless, so the documents of any page are known before it is
 * read: a page of up to 100 spans at most three blocks of 50.
 */
const blockSize = 50;
export const blockOf = (seq: number) => Math.floor(seq / blockSize);

/** The records numbered [from, to], in order, read a block at a time (one equality lookup each). */
export async function readBlocks<T>(
  from: number,
  to: number,
  read: (block: number) => Promise<T[]>,
  numberOf: (record: T) => number,
): Promise<T[]> {
  if (to < from) return [];
  const blocks: number[] = [];
  for (let block = blockOf(from); block <= blockOf(to); block++) blocks.push(block);
  return (await Promise.all(blocks.map(read)))
    .flat()
    .filter((record) => numberOf(record) >= from && numberOf(record) <= to)
    .sort((a, b) => numberOf(a) - numberOf(b));
}

export interface MessageRecord {
  _id: Types.ObjectId;
  conversationId: Types.ObjectId;
  seq: number;
  senderId: Types.ObjectId;
  clientMessageId: string;
  kind: MessageKind;
  body: string | null;
  attachments: Array<Omit<Attachment, 'uploadId'> & { uploadId: Types.ObjectId }>;
  /** Absent on messages stored before mentions existed. */
  mentions?: Types.ObjectId[];
  /** Absent on messages stored before replies existed. */
  replyTo?: { messageId: Types.ObjectId; seq: number; senderId: Types.ObjectId } | null;
  threadRootSeq?: number | null;
  createdAt: Date;
  editedAt: Date | null;
  deletedAt: Date | null;
  block: number;
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

export interface KnownUploadRecord extends FileFacts {
  _id: Types.ObjectId;
  uploaderId: Types.ObjectId;
}

/** The record of an upload the read model keeps, from what the upload service said of it. */
export const knownUpload = (upload: FileFacts & { id: string; uploaderId: string }): KnownUploadRecord => ({
  _id: new Types.ObjectId(upload.id),
  uploaderId: new Types.ObjectId(upload.uploaderId),
  ...fileFacts(upload),
});

/**
 * That a message was deleted, as an insert under its id: updates of the message document
 * are not isolated on FerretDB, so an edit racing the delete could write the old body back;
 * the edit checks this afterwards and puts the tombstone back (a delete always wins).
 */
const deletionSchema = new Schema(
  { _id: { type: Schema.Types.ObjectId, required: true }, at: { type: Date, required: true } },
  { collection: 'message_deletions', versionKey: false },
);

const oid = (id: Types.ObjectId | string) => (typeof id === 'string' ? new Types.ObjectId(id) : id);

// Over 80 lines as a whole: a factory whose methods (each short) share its dependencies.
export function createMessageStore(connection: Connection) {
  const Message = connection.model('Message', messageSchema);
  const KnownUpload = connection.model('KnownUpload', knownUploadSchema);
  const Deletion = connection.model('MessageDeletion', deletionSchema);

  const findBySeq = (conversationId: Types.ObjectId | string, seq: number) =>
    Message.findOne({ conversationId: oid(conversationId), seq })
      .lean<MessageRecord>()
      .exec();

  return {
    models: [Message, KnownUpload, Deletion],

    /**
     * Inserts in order and stops at the first duplicate on MongoDB, and on FerretDB when
     * there are at most 100 documents (its batch: past that it goes on after a duplicate).
     * Callers never rely on it: they check what was stored.
     */
    insertOrdered: (records: MessageRecord[]) => Message.collection.insertMany(records, { ordered: true }),

    findById: (id: Types.ObjectId) => Message.findById(id).lean<MessageRecord>().exec(),

    /** Which of these ids are stored (lookups by id). */
    storedIds: async (ids: Types.ObjectId[]) => {
      const found = await Promise.all(ids.map((_id) => Message.exists({ _id }).exec()));
      return new Set(ids.filter((_, i) => found[i] !== null).map(String));
    },

    findBySeq,

    /**
     * The highest stored seq, found from a known lower bound by probing forward (doubling,
     * then bisecting): a handful of index lookups however long the history is.
     */
    highestSeqFrom: async (conversationId: Types.ObjectId, known: number): Promise<number> => {
      const exists = async (seq: number) => (await Message.exists({ conversationId, seq }).exec()) !== null;
      let low = known; // stored (or 0)
      let step = 1;
      while (await exists(low + step)) {
        low += step;
        step *= 2;
      }
      let high = low + step; // not stored
      while (high - low > 1) {
        const mid = Math.floor((low + high) / 2);
        if (await exists(mid)) low = mid;
        else high = mid;
      }
      return low;
    },

    /** Messages with seq in [from, to], oldest first: one equality lookup per block. */
    range: (conversationId: Types.ObjectId | string, from: number, to: number) =>
      readBlocks(
        from,
        to,
        (block) =>
          Message.find({ conversationId: oid(conversationId), block })
            .lean<MessageRecord[]>()
            .exec(),
        (message) => message.seq,
      ),

    /** The message at each conversation's last seq. */
    lastOf: async (heads: Array<{ _id: Types.ObjectId; lastSeq: number }>) =>
      (await Promise.all(heads.filter((h) => h.lastSeq > 0).map((h) => findBySeq(h._id, h.lastSeq)))).filter(
        (m): m is MessageRecord => m !== null,
      ),

    /** Applies an edit or tombstone to one message. */
    /** Records that a message is deleted, before its tombstone is written (idempotent). */
    recordDeletion: async (id: Types.ObjectId) => {
      try {
        await Deletion.collection.insertOne({ _id: id, at: new Date() });
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
    },

    wasDeleted: async (id: Types.ObjectId) => (await Deletion.exists({ _id: id }).exec()) !== null,

    change: (id: Types.ObjectId, set: Partial<MessageRecord>) =>
      Message.findByIdAndUpdate(id, { $set: set }, { new: true }).lean<MessageRecord>().exec(),

    /**
     * An insert under the upload's id: what an upload is never changes, so whoever stores it
     * first (its event, or a send that asked the upload service) is right. Two upserts racing
     * there could both try the insert, and one failed with a duplicate key (a 500 on a send).
     */
    rememberUpload: async (upload: KnownUploadRecord) => {
      try {
        await KnownUpload.create(upload);
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
    },

    /** Uploads by id that `uploaderId` made (lookups by id). */
    uploadsOf: async (uploaderId: string, uploadIds: string[]) =>
      (
        await Promise.all(
          uploadIds.map((id) => KnownUpload.findById(oid(id)).lean<KnownUploadRecord>().exec()),
        )
      ).filter((u): u is KnownUploadRecord => u?.uploaderId.equals(uploaderId) === true),
  };
}

export type MessageStore = ReturnType<typeof createMessageStore>;
