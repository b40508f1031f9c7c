import type { MemberRole } from '@palaver/contracts';
import { type Connection, Schema, Types } from 'mongoose';

const memberSchema = new Schema(
  {
    userId: { type: Schema.Types.ObjectId, required: true },
    role: { type: String, enum: ['owner', 'admin', 'member'], required: true },
    joinedAt: { type: Date, required: true },
  },
  { _id: false },
);

/** An event stored with the change that caused it, published by the relay if not at once. */
const outboxSchema = new Schema(
  { id: { type: String, required: true }, type: { type: String, required: true }, data: Schema.Types.Mixed },
  { _id: false },
);

const conversationSchema = new Schema(
  {
    type: { type: String, enum: ['direct', 'group'], required: true },
    /** `direct:<a>:<b>` (sorted ids) or `group:<id>`: unique, so a pair has one direct chat. */
    uniqueKey: { type: String, required: true },
    title: { type: String, default: null },
    members: { type: [memberSchema], required: true },
    /** Member ids alone, for the multikey index behind "my conversations". */
    memberIds: { type: [Schema.Types.ObjectId], required: true },
    createdBy: { type: Schema.Types.ObjectId, required: true },
    lastSeq: { type: Number, default: 0 },
    lastMessageAt: { type: Date, default: null },
    /** Sort key for activity: last message time, else creation time (ms). */
    activityAt: { type: Number, required: true },
    outbox: { type: [outboxSchema], default: [] },
  },
  { collection: 'conversations', timestamps: true },
);
conversationSchema.index({ uniqueKey: 1 }, { unique: true });
conversationSchema.index({ memberIds: 1, activityAt: -1, _id: -1 });
conversationSchema.index({ 'outbox.0.id': 1 });

export interface MemberRecord {
  userId: Types.ObjectId;
  role: MemberRole;
  joinedAt: Date;
}

export interface OutboxEvent {
  id: string;
  type: string;
  data: unknown;
}

export interface ConversationRecord {
  _id: Types.ObjectId;
  type: 'direct' | 'group';
  uniqueKey: string;
  title: string | null;
  members: MemberRecord[];
  memberIds: Types.ObjectId[];
  createdBy: Types.ObjectId;
  lastSeq: number;
  lastMessageAt: Date | null;
  activityAt: number;
  outbox: OutboxEvent[];
  createdAt: Date;
  updatedAt: Date;
}

const readStateSchema = new Schema(
  {
    _id: { type: String, required: true }, // `${conversationId}:${userId}`
    conversationId: { type: Schema.Types.ObjectId, required: true },
    userId: { type: Schema.Types.ObjectId, required: true },
    lastReadSeq: { type: Number, default: 0 },
    lastDeliveredSeq: { type: Number, default: 0 },
  },
  { collection: 'read_states', timestamps: true },
);
readStateSchema.index({ conversationId: 1 });

export interface ReadStateRecord {
  _id: string;
  conversationId: Types.ObjectId;
  userId: Types.ObjectId;
  lastReadSeq: number;
  lastDeliveredSeq: number;
}

export const readStateId = (conversationId: string, userId: string) => `${conversationId}:${userId}`;

export function createConversationStore(connection: Connection) {
  const Conversation = connection.model('Conversation', conversationSchema);
  const ReadState = connection.model('ReadState', readStateSchema);

  return {
    models: [Conversation, ReadState],

    insert: async (
      record: Omit<ConversationRecord, 'createdAt' | 'updatedAt' | 'lastSeq' | 'lastMessageAt'>,
    ) => (await Conversation.create(record)).toObject() as ConversationRecord,

    findByUniqueKey: (uniqueKey: string) =>
      Conversation.findOne({ uniqueKey }).lean<ConversationRecord>().exec(),

    findById: (id: string) => Conversation.findById(id).lean<ConversationRecord>().exec(),

    /** The conversation if `userId` is a member. */
    findForMember: (id: string, userId: string) =>
      Conversation.findOne({ _id: id, memberIds: new Types.ObjectId(userId) })
        .lean<ConversationRecord>()
        .exec(),

    /** The caller's conversations by last activity, keyset-paginated on (activityAt, _id). */
    listForMember: (userId: string, limit: number, after?: { activityAt: number; id: string }) => {
      const filter: Record<string, unknown> = { memberIds: new Types.ObjectId(userId) };
      if (after) {
        filter.$or = [
          { activityAt: { $lt: after.activityAt } },
          { activityAt: after.activityAt, _id: { $lt: new Types.ObjectId(after.id) } },
        ];
      }
      return Conversation.find(filter)
        .sort({ activityAt: -1, _id: -1 })
        .limit(limit)
        .select({ outbox: 0 })
        .lean<ConversationRecord[]>()
        .exec();
    },

    /** Member ids of every conversation `userId` belongs to (for presence audiences). */
    memberIdsAcross: (userId: string) =>
      Conversation.find({ memberIds: new Types.ObjectId(userId) })
        .select({ memberIds: 1 })
        .lean<Pick<ConversationRecord, '_id' | 'memberIds'>[]>()
        .exec(),

    /** Replaces fields and appends an outbox event in one single-document update. */
    update: (id: string, set: Partial<ConversationRecord>, event: OutboxEvent) =>
      Conversation.findByIdAndUpdate(id, { $set: set, $push: { outbox: event } }, { new: true })
        .lean<ConversationRecord>()
        .exec(),

    /** Records new messages; never moves lastSeq back. */
    recordMessages: (id: Types.ObjectId, lastSeq: number, at: Date) =>
      Conversation.updateOne(
        { _id: id, lastSeq: { $lt: lastSeq } },
        { $set: { lastSeq, lastMessageAt: at, activityAt: at.getTime() } },
      ).exec(),

    withPendingEvents: (limit: number) =>
      Conversation.find({ 'outbox.0.id': { $exists: true } })
        .limit(limit)
        .lean<ConversationRecord[]>()
        .exec(),

    /**
     * Drops the oldest outbox event if it is `eventId` (events are published oldest first).
     * A conditional `$pop`, because FerretDB's `$pull` matches whole values, not conditions.
     */
    removeOutboxEvent: (id: Types.ObjectId, eventId: string) =>
      Conversation.collection.updateOne({ _id: id, 'outbox.0.id': eventId }, { $pop: { outbox: -1 } }),

    readStates: (conversationId: string) =>
      ReadState.find({ conversationId: new Types.ObjectId(conversationId) })
        .lean<ReadStateRecord[]>()
        .exec(),

    readStatesOf: (ids: string[]) =>
      ReadState.find({ _id: { $in: ids } })
        .lean<ReadStateRecord[]>()
        .exec(),

    /** Moves a member's read or delivered mark forward only; returns true if it moved. */
    advanceMark: async (
      conversationId: string,
      userId: string,
      field: 'lastReadSeq' | 'lastDeliveredSeq',
      seq: number,
    ): Promise<boolean> => {
      const _id = readStateId(conversationId, userId);
      const ids = { conversationId: new Types.ObjectId(conversationId), userId: new Types.ObjectId(userId) };
      const result = await ReadState.updateOne(
        { _id, [field]: { $lt: seq } },
        { $set: { [field]: seq } },
      ).exec();
      if (result.modifiedCount > 0) return true;
      // No row yet: create it. A concurrent creator wins the _id; then retry the update.
      if (!(await ReadState.exists({ _id }).exec())) {
        try {
          await ReadState.create({ _id, ...ids, [field]: seq });
          return true;
        } catch (error) {
          if ((error as { code?: number }).code !== 11000) throw error;
          const retry = await ReadState.updateOne(
            { _id, [field]: { $lt: seq } },
            { $set: { [field]: seq } },
          ).exec();
          return retry.modifiedCount > 0;
        }
      }
      return false;
    },
  };
}

export type ConversationStore = ReturnType<typeof createConversationStore>;
