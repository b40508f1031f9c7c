import type { UploadPurpose } from '@palaver/contracts';
import { duplicateIndexes } from '@palaver/service-kit';
import { type Connection, Schema, Types } from 'mongoose';

const variantSchema = new Schema(
  { sha256: { type: String, required: true }, size: Number, mime: String },
  { _id: false },
);

const uploadSchema = new Schema(
  {
    uploaderId: { type: Schema.Types.ObjectId, required: true },
    /** Absent on uploads stored before avatars existed: those are attachments. */
    purpose: { type: String, enum: ['attachment', 'avatar'] },
    name: { type: String, required: true },
    mime: { type: String, required: true },
    /** Of the bytes served: for images, the re-encoded copy without metadata. */
    size: { type: Number, required: true },
    sha256: { type: String, required: true },
    width: Number,
    height: Number,
    thumbnail: { type: variantSchema, default: null },
    /** `upload.created` not yet confirmed by the broker: the relay retries it. */
    eventPending: { type: Boolean, default: true },
    createdAt: { type: Date, required: true },
  },
  { collection: 'uploads', versionKey: false },
);
uploadSchema.index({ eventPending: 1 });
// A user's storage in use is the sum over their uploads.
uploadSchema.index({ uploaderId: 1 });
// Blobs are shared by identical content: these find whether any upload still uses one.
uploadSchema.index({ sha256: 1 });
uploadSchema.index({ 'thumbnail.sha256': 1 });

export interface VariantRecord {
  sha256: string;
  size: number;
  mime: string;
}

export interface UploadRecord {
  _id: Types.ObjectId;
  uploaderId: Types.ObjectId;
  purpose?: UploadPurpose;
  name: string;
  mime: string;
  size: number;
  sha256: string;
  width?: number;
  height?: number;
  thumbnail: VariantRecord | null;
  eventPending: boolean;
  createdAt: Date;
}

/**
 * Who may read an upload, learned from the message service's events, one document per
 * fact so that no two events ever rewrite the same document (FerretDB does not isolate
 * updates): an upload sent in a message, and a member of a conversation.
 */
const attachmentSchema = new Schema(
  {
    _id: { type: String, required: true }, // `${uploadId}:${messageId}`
    uploadId: { type: Schema.Types.ObjectId, required: true },
    messageId: { type: Schema.Types.ObjectId, required: true },
    conversationId: { type: Schema.Types.ObjectId, required: true },
  },
  { collection: 'upload_attachments', versionKey: false },
);
attachmentSchema.index({ uploadId: 1 });
attachmentSchema.index({ messageId: 1 });

/**
 * One membership: its key carries when it began, so a removal ends exactly that one and a
 * later re-join is another. A departure is remembered, so an addition replayed after its
 * removal (the relay may deliver late) does not bring the member back.
 */
const memberSchema = new Schema(
  {
    _id: { type: String, required: true }, // `${conversationId}:${userId}:${joinedAt ms}`
    conversationId: { type: Schema.Types.ObjectId, required: true },
    userId: { type: Schema.Types.ObjectId, required: true },
  },
  { versionKey: false },
);
memberSchema.index({ userId: 1 });

/** Not yet sent in any message: swept after ORPHAN_TTL unless a message names it first. */
const unsentSchema = new Schema(
  { _id: { type: Schema.Types.ObjectId, required: true }, createdAt: { type: Date, required: true } },
  { collection: 'upload_unsent', versionKey: false },
);
unsentSchema.index({ createdAt: 1 });

export interface MembershipFact {
  conversationId: string;
  userId: string;
  joinedAt: Date;
}

const membershipKey = (m: MembershipFact) => `${m.conversationId}:${m.userId}:${m.joinedAt.getTime()}`;

// Over 80 lines as a whole: a factory whose methods (each short) share its dependencies.
export function createUploadStore(connection: Connection) {
  const Upload = connection.model('Upload', uploadSchema);
  const Attachment = connection.model('UploadAttachment', attachmentSchema);
  const Member = connection.model('UploadMember', memberSchema, 'upload_members');
  const Departure = connection.model('UploadDeparture', memberSchema.clone(), 'upload_departures');
  const Unsent = connection.model('UploadUnsent', unsentSchema);
  const oid = (id: string | Types.ObjectId) => (typeof id === 'string' ? new Types.ObjectId(id) : id);

  /** Inserts, treating documents already there as done (every fact is immutable). */
  const insertAll = async (
    model: { collection: { insertMany: (docs: never[], o: object) => Promise<unknown> } },
    docs: object[],
  ) => {
    if (docs.length === 0) return;
    try {
      await model.collection.insertMany(docs as never[], { ordered: false });
    } catch (error) {
      duplicateIndexes(error);
    }
  };

  return {
    models: [Upload, Attachment, Member, Departure, Unsent],

    /**
     * Records an upload, and that nobody has sent it yet. Avatars are never sent, so they are
     * not swept as orphans (docs/uploads.md, "Avatars").
     */
    insert: async (record: UploadRecord) => {
      if (record.purpose !== 'avatar') {
        await Unsent.collection.insertOne({ _id: record._id, createdAt: record.createdAt });
      }
      await Upload.collection.insertOne(record);
      return record;
    },

    findById: (id: string) => Upload.findById(id).lean<UploadRecord>().exec(),

    remove: async (id: Types.ObjectId) => {
      await Upload.deleteOne({ _id: id }).exec();
      await Unsent.deleteOne({ _id: id }).exec();
    },

    markPublished: (id: Types.ObjectId) =>
      Upload.updateOne({ _id: id }, { $set: { eventPending: false } }).exec(),

    withPendingEvents: (limit: number) =>
      Upload.find({ eventPending: true }).limit(limit).lean<UploadRecord[]>().exec(),

    /** Idempotent: the same message announced twice changes nothing. */
    attach: async (uploadIds: string[], messageId: string, conversationId: string) => {
      await insertAll(
        Attachment,
        uploadIds.map((uploadId) => ({
          _id: `${uploadId}:${messageId}`,
          uploadId: oid(uploadId),
          messageId: oid(messageId),
          conversationId: oid(conversationId),
        })),
      );
      await Promise.all(uploadIds.map((id) => Unsent.deleteOne({ _id: oid(id) }).exec()));
    },

    /** A deleted message no longer gives anyone access to what it carried. */
    detachMessage: (messageId: string) => Attachment.deleteMany({ messageId: oid(messageId) }).exec(),

    /**
     * Records memberships. Inserted first and checked against departures after, so a
     * removal that raced ahead is never undone, whichever order the two interleave in.
     */
    join: async (memberships: MembershipFact[]) => {
      const docs = memberships.map((m) => ({
        _id: membershipKey(m),
        conversationId: oid(m.conversationId),
        userId: oid(m.userId),
      }));
      await insertAll(Member, docs);
      const departed = await Promise.all(docs.map((doc) => Departure.exists({ _id: doc._id }).exec()));
      const undone = docs.filter((_, i) => departed[i] !== null).map((doc) => doc._id);
      if (undone.length > 0) await Member.deleteMany({ _id: { $in: undone } }).exec();
    },

    /** Ends one membership: remembered first, then removed. */
    leave: async (membership: MembershipFact) => {
      const doc = {
        _id: membershipKey(membership),
        conversationId: oid(membership.conversationId),
        userId: oid(membership.userId),
      };
      await insertAll(Departure, [doc]);
      await Member.deleteOne({ _id: doc._id }).exec();
    },

    /** True if `userId` is a member of a conversation in which this upload was sent. */
    /** Bytes a user's uploads take, counted per upload (identical files stored once still count twice). */
    usageOf: async (uploaderId: string) => {
      const sizes = await Upload.find({ uploaderId: oid(uploaderId) })
        .select({ size: 1, _id: 0 })
        .lean<Array<{ size: number }>>()
        .exec();
      return sizes.reduce((total, upload) => total + upload.size, 0);
    },

    readableBy: async (uploadId: Types.ObjectId, userId: string) => {
      const [attachments, memberships] = await Promise.all([
        Attachment.find({ uploadId })
          .select({ conversationId: 1 })
          .lean<Array<{ conversationId: Types.ObjectId }>>()
          .exec(),
        Member.find({ userId: oid(userId) })
          .select({ conversationId: 1 })
          .lean<Array<{ conversationId: Types.ObjectId }>>()
          .exec(),
      ]);
      const mine = new Set(memberships.map((m) => m.conversationId.toHexString()));
      return attachments.some((a) => mine.has(a.conversationId.toHexString()));
    },

    /** Uploads created before `cutoff` that no message has named. */
    unsentBefore: async (cutoff: Date, limit: number) => {
      const candidates = await Unsent.find({ createdAt: { $lt: cutoff } })
        .sort({ createdAt: 1 })
        .limit(limit)
        .lean<Array<{ _id: Types.ObjectId }>>()
        .exec();
      const records = await Promise.all(
        candidates.map((c) => Upload.findById(c._id).lean<UploadRecord>().exec()),
      );
      // A candidate whose upload is gone was half-removed: finish the job.
      const gone = candidates.filter((_, i) => records[i] === null).map((c) => c._id);
      if (gone.length > 0) await Unsent.deleteMany({ _id: { $in: gone } }).exec();
      return records.filter((r): r is UploadRecord => r !== null);
    },

    /** Deletes an upload nobody sent; false if a message named it meanwhile. */
    removeOrphan: async (id: Types.ObjectId) => {
      if ((await Attachment.exists({ uploadId: id }).exec()) !== null) {
        await Unsent.deleteOne({ _id: id }).exec();
        return false;
      }
      await Upload.deleteOne({ _id: id }).exec();
      await Unsent.deleteOne({ _id: id }).exec();
      return true;
    },

    blobInUse: async (sha256: string) =>
      (await Upload.exists({ sha256 }).exec()) !== null ||
      (await Upload.exists({ 'thumbnail.sha256': sha256 }).exec()) !== null,
  };
}

export type UploadStore = ReturnType<typeof createUploadStore>;
