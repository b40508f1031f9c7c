import { insertedUnlessTaken } from '@palaver/service-kit';
import { type Connection, Schema, type Types } from 'mongoose';

/**
 * Each change of a group's owner, numbered from 1 per conversation. Claiming the next number
 * is a unique insert, the one compare-and-set every MongoDB-compatible store makes atomic:
 * of two concurrent changes (two transfers, or a transfer and the owner leaving) one wins,
 * so a group never ends up with two owners. Members' roles follow the winning claim.
 */
const ownershipSchema = new Schema(
  {
    _id: { type: String, required: true }, // `${conversationId}:${generation}`
    conversationId: { type: Schema.Types.ObjectId, required: true },
    generation: { type: Number, required: true },
    fromId: { type: Schema.Types.ObjectId, required: true },
    toId: { type: Schema.Types.ObjectId, required: true },
    at: { type: Date, required: true },
  },
  { collection: 'ownerships', versionKey: false },
);
ownershipSchema.index({ conversationId: 1, generation: -1 });

export interface OwnershipRecord {
  _id: string;
  conversationId: Types.ObjectId;
  generation: number;
  fromId: Types.ObjectId;
  toId: Types.ObjectId;
  at: Date;
}

export function createOwnershipStore(connection: Connection) {
  const Ownership = connection.model('Ownership', ownershipSchema);

  return {
    models: [Ownership],

    /** The latest change of the group's owner, or null while its creator owns it. */
    latest: (conversationId: Types.ObjectId) =>
      Ownership.findOne({ conversationId }).sort({ generation: -1 }).lean<OwnershipRecord>().exec(),

    /** Claims change `generation` (latest + 1); false when a concurrent change took it. */
    claim: (change: Omit<OwnershipRecord, '_id' | 'at'>) =>
      insertedUnlessTaken(
        Ownership.collection.insertOne({
          _id: `${change.conversationId.toHexString()}:${change.generation}`,
          ...change,
          at: new Date(),
        } as never),
      ),
  };
}

export type OwnershipStore = ReturnType<typeof createOwnershipStore>;
