import { type Connection, Schema, Types } from 'mongoose';

const variantSchema = new Schema(
  { sha256: { type: String, required: true }, size: Number, mime: String },
  { _id: false },
);

const uploadSchema = new Schema(
  {
    uploaderId: { type: Schema.Types.ObjectId, required: true },
    name: { type: String, required: true },
    mime: { type: String, required: true },
    /** Of the bytes served: for images, the re-encoded copy without metadata. */
    size: { type: Number, required: true },
    sha256: { type: String, required: true },
    width: Number,
    height: Number,
    thumbnail: { type: variantSchema, default: null },
    /** Conversations it was sent in: their members may read it. */
    conversationIds: { type: [Schema.Types.ObjectId], default: [] },
    /** Sent in a message at least once; unattached uploads are swept after ORPHAN_TTL. */
    attached: { type: Boolean, default: false },
    /** `upload.created` not yet confirmed by the broker: the relay retries it. */
    eventPending: { type: Boolean, default: true },
    createdAt: { type: Date, required: true },
  },
  { collection: 'uploads', versionKey: false },
);
uploadSchema.index({ eventPending: 1 });
uploadSchema.index({ attached: 1, createdAt: 1 });
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
  name: string;
  mime: string;
  size: number;
  sha256: string;
  width?: number;
  height?: number;
  thumbnail: VariantRecord | null;
  conversationIds: Types.ObjectId[];
  attached: boolean;
  eventPending: boolean;
  createdAt: Date;
}

/** Who is in a conversation an upload was sent in, learned from message events. */
const conversationMembersSchema = new Schema(
  {
    _id: { type: Schema.Types.ObjectId, required: true },
    memberIds: { type: [Schema.Types.ObjectId], required: true },
    /** When the message service's list was true: an older event never overwrites a newer one. */
    asOf: { type: Date, required: true },
  },
  { collection: 'upload_conversations', versionKey: false },
);

export function createUploadStore(connection: Connection) {
  const Upload = connection.model('Upload', uploadSchema);
  const ConversationMembers = connection.model('UploadConversation', conversationMembersSchema);
  const oid = (id: string) => new Types.ObjectId(id);

  return {
    models: [Upload, ConversationMembers],

    insert: async (record: UploadRecord) => {
      await Upload.collection.insertOne(record);
      return record;
    },

    findById: (id: string) => Upload.findById(id).lean<UploadRecord>().exec(),

    remove: (id: Types.ObjectId) => Upload.deleteOne({ _id: id }).exec(),

    markPublished: (id: Types.ObjectId) =>
      Upload.updateOne({ _id: id }, { $set: { eventPending: false } }).exec(),

    withPendingEvents: (limit: number) =>
      Upload.find({ eventPending: true }).limit(limit).lean<UploadRecord[]>().exec(),

    /** Idempotent: sending the same upload in the same conversation twice changes nothing. */
    attachTo: (uploadIds: string[], conversationId: string) =>
      Upload.updateMany(
        { _id: { $in: uploadIds.map(oid) } },
        { $addToSet: { conversationIds: oid(conversationId) }, $set: { attached: true } },
      ).exec(),

    /**
     * Records a conversation's members as of `asOf`, only if newer than what is stored.
     * `create: false` updates only conversations already known (those with uploads).
     */
    rememberMembers: async (conversationId: string, memberIds: string[], asOf: Date, create: boolean) => {
      const _id = oid(conversationId);
      const set = { memberIds: memberIds.map(oid), asOf };
      const result = await ConversationMembers.updateOne({ _id, asOf: { $lt: asOf } }, { $set: set }).exec();
      if (result.matchedCount > 0 || !create) return;
      try {
        await ConversationMembers.collection.insertOne({ _id, ...set });
      } catch (error) {
        // Already there, as new or newer: a concurrent or later event won.
        if ((error as { code?: number }).code !== 11000) throw error;
      }
    },

    /** True if `userId` is a member of any of these conversations. */
    isMemberOfAny: async (conversationIds: Types.ObjectId[], userId: string) =>
      conversationIds.length > 0 &&
      (await ConversationMembers.exists({ _id: { $in: conversationIds }, memberIds: oid(userId) }).exec()) !==
        null,

    orphansBefore: (cutoff: Date, limit: number) =>
      Upload.find({ attached: false, createdAt: { $lt: cutoff } })
        .limit(limit)
        .lean<UploadRecord[]>()
        .exec(),

    /** Deletes only while still unattached: a message that names it first keeps it. */
    removeOrphan: async (id: Types.ObjectId) =>
      (await Upload.deleteOne({ _id: id, attached: false }).exec()).deletedCount > 0,

    blobInUse: async (sha256: string) =>
      (await Upload.exists({ sha256 }).exec()) !== null ||
      (await Upload.exists({ 'thumbnail.sha256': sha256 }).exec()) !== null,
  };
}

export type UploadStore = ReturnType<typeof createUploadStore>;
