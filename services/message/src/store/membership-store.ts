import type { MemberRole } from '@palaver/contracts';
import { duplicateIndexes, insertedUnlessTaken, isDuplicateKey } from '@palaver/service-kit';
import { type Connection, type InferSchemaType, Schema, Types } from 'mongoose';
import { factSchema } from './fact-schema.ts';

/**
 * One document per (conversation, member): joining is an insert and leaving a delete
 * under the unique `_id`, so concurrent membership changes never overwrite each other
 * (the subscription model of Rocket.Chat and Mattermost).
 */
const membershipSchema = new Schema(
  {
    _id: { type: String, required: true }, // `${conversationId}:${userId}`
    conversationId: { type: Schema.Types.ObjectId, required: true },
    userId: { type: Schema.Types.ObjectId, required: true },
    role: { type: String, enum: ['owner', 'admin', 'member'] satisfies MemberRole[], required: true },
    joinedAt: { type: Date, required: true },
  },
  { collection: 'memberships', versionKey: false },
);
membershipSchema.index({ conversationId: 1 });
membershipSchema.index({ userId: 1 });

export type MembershipRecord = InferSchemaType<typeof membershipSchema>;

/**
 * A member's read or delivered mark, each its own document: the member moves them, from
 * any device, while managers change the membership, and neither write touches the other's.
 */
const markSchema = new Schema(
  {
    _id: { type: String, required: true }, // `${conversationId}:${userId}:${kind}`
    conversationId: { type: Schema.Types.ObjectId, required: true },
    userId: { type: Schema.Types.ObjectId, required: true },
    kind: { type: String, enum: ['read', 'delivered'] as const, required: true },
    seq: { type: Number, required: true },
  },
  { collection: 'read_marks', versionKey: false },
);
markSchema.index({ conversationId: 1 });
markSchema.index({ userId: 1 });

export type MarkRecord = InferSchemaType<typeof markSchema>;
export type MarkKind = MarkRecord['kind'];

/**
 * That a member muted a conversation, under `${conversationId}:${userId}`: an insert to mute,
 * a delete to unmute (their own document).
 */
const muteSchema = factSchema(
  'mutes',
  { conversationId: Schema.Types.ObjectId, userId: Schema.Types.ObjectId, at: Date },
  ['userId'],
);

export const membershipId = (conversationId: Types.ObjectId | string, userId: Types.ObjectId | string) =>
  `${conversationId}:${userId}`;
const markId = (conversationId: string, userId: string, kind: MarkKind) =>
  `${conversationId}:${userId}:${kind}`;
const oid = (id: Types.ObjectId | string) => (typeof id === 'string' ? new Types.ObjectId(id) : id);

// Over 80 lines as a whole: a factory whose methods (each short) share its dependencies.
export function createMembershipStore(connection: Connection) {
  const Membership = connection.model('Membership', membershipSchema);
  const Mark = connection.model('ReadMark', markSchema);
  const Mute = connection.model('Mute', muteSchema);

  return {
    models: [Membership, Mark, Mute],

    /** Mutes or unmutes; true if this call changed it. */
    setMuted: async (conversationId: Types.ObjectId, userId: string, muted: boolean) => {
      const _id = membershipId(conversationId, userId);
      if (!muted) return (await Mute.deleteOne({ _id }).exec()).deletedCount > 0;
      return insertedUnlessTaken(
        Mute.collection.insertOne({ _id, conversationId, userId: oid(userId), at: new Date() } as never),
      );
    },

    /** Ids of the conversations the user muted. */
    mutedBy: async (userId: string) =>
      new Set(
        (
          await Mute.find({ userId: oid(userId) })
            .lean<{ conversationId: Types.ObjectId }[]>()
            .exec()
        ).map((m) => m.conversationId.toHexString()),
      ),

    /** Inserts memberships; returns those that were new (an existing one is left as it is). */
    add: async (records: MembershipRecord[]): Promise<MembershipRecord[]> => {
      if (records.length === 0) return [];
      try {
        await Membership.collection.insertMany(records as never[], { ordered: false });
        return records;
      } catch (error) {
        // Unordered: every record not reported is stored; duplicates are not new.
        const failed = new Set(duplicateIndexes(error));
        return records.filter((_, index) => !failed.has(index));
      }
    },

    find: (conversationId: Types.ObjectId | string, userId: Types.ObjectId | string) =>
      Membership.findById(membershipId(conversationId, userId)).lean<MembershipRecord>().exec(),

    /** Members in order of joining (the longest-standing first). */
    ofConversation: async (conversationId: Types.ObjectId | string) =>
      (
        await Membership.find({ conversationId: oid(conversationId) })
          .lean<MembershipRecord[]>()
          .exec()
      ).sort((a, b) => a.joinedAt.getTime() - b.joinedAt.getTime() || a._id.localeCompare(b._id)),

    ofUser: (userId: Types.ObjectId | string) =>
      Membership.find({ userId: oid(userId) })
        .lean<MembershipRecord[]>()
        .exec(),

    /** Ends a membership; true if this call removed it. */
    remove: async (conversationId: Types.ObjectId | string, userId: Types.ObjectId | string) =>
      (await Membership.deleteOne({ _id: membershipId(conversationId, userId) }).exec()).deletedCount > 0,

    /** Changes a role; a membership that ended meanwhile stays ended (no upsert). */
    setRole: async (
      conversationId: Types.ObjectId | string,
      userId: Types.ObjectId | string,
      role: MemberRole,
    ) =>
      (await Membership.updateOne({ _id: membershipId(conversationId, userId) }, { $set: { role } }).exec())
        .matchedCount > 0,

    marksOf: (conversationId: Types.ObjectId | string) =>
      Mark.find({ conversationId: oid(conversationId) })
        .lean<MarkRecord[]>()
        .exec(),

    marksOfUser: (userId: Types.ObjectId | string) =>
      Mark.find({ userId: oid(userId) })
        .lean<MarkRecord[]>()
        .exec(),

    mark: async (conversationId: string, userId: string, kind: MarkKind) =>
      (
        await Mark.findById(markId(conversationId, userId, kind))
          .lean<MarkRecord>()
          .exec()
      )?.seq ?? 0,

    /** Moves a mark forward only; returns true if it moved. */
    advanceMark: async (conversationId: string, userId: string, kind: MarkKind, seq: number) => {
      const _id = markId(conversationId, userId, kind);
      const result = await Mark.updateOne({ _id, seq: { $lt: seq } }, { $set: { seq } }).exec();
      if (result.modifiedCount > 0) return true;
      if (result.matchedCount > 0 || seq <= 0) return false;
      // No mark yet, or one at or past seq: the insert tells which.
      try {
        await Mark.collection.insertOne({
          _id,
          conversationId: oid(conversationId),
          userId: oid(userId),
          kind,
          seq,
        } as never);
        return true;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        const retry = await Mark.updateOne({ _id, seq: { $lt: seq } }, { $set: { seq } }).exec();
        return retry.modifiedCount > 0;
      }
    },
  };
}

export type MembershipStore = ReturnType<typeof createMembershipStore>;
