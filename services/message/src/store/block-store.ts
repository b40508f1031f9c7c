import { insertedUnlessTaken } from '@palaver/service-kit';
import { type Connection, Schema, Types } from 'mongoose';
import { factSchema, type RecordOf } from './fact-schema.ts';

/** That one user blocked another, under `${blockerId}:${blockedId}`: an insert to block, a delete to unblock. */
const blockSchema = factSchema(
  'blocks',
  { blockerId: Schema.Types.ObjectId, blockedId: Schema.Types.ObjectId, at: Date },
  ['blockerId', 'blockedId'],
);
export type BlockRecord = RecordOf<typeof blockSchema>;

const blockId = (blockerId: string, blockedId: string) => `${blockerId}:${blockedId}`;

export function createBlockStore(connection: Connection) {
  const Block = connection.model('Block', blockSchema);

  return {
    models: [Block],

    /** True if this call blocked (false: blocked already). */
    block: (blockerId: string, blockedId: string) =>
      insertedUnlessTaken(
        Block.collection.insertOne({
          _id: blockId(blockerId, blockedId),
          blockerId: new Types.ObjectId(blockerId),
          blockedId: new Types.ObjectId(blockedId),
          at: new Date(),
        } as never),
      ),

    /** True if this call unblocked. */
    unblock: async (blockerId: string, blockedId: string) =>
      (await Block.deleteOne({ _id: blockId(blockerId, blockedId) }).exec()).deletedCount > 0,

    /** Whether either of the two blocked the other (two lookups by id). */
    between: async (a: string, b: string) => {
      const [ab, ba] = await Promise.all([
        Block.exists({ _id: blockId(a, b) }).exec(),
        Block.exists({ _id: blockId(b, a) }).exec(),
      ]);
      return { aBlockedB: ab !== null, bBlockedA: ba !== null };
    },

    /** Whom the user blocked, latest first. */
    blockedBy: async (blockerId: string) =>
      (
        await Block.find({ blockerId: new Types.ObjectId(blockerId) })
          .lean<BlockRecord[]>()
          .exec()
      ).sort((x, y) => y.at.getTime() - x.at.getTime()),

    /** Everyone in a block with the user, either way. */
    relationsOf: async (userId: string) => {
      const id = new Types.ObjectId(userId);
      const [mine, theirs] = await Promise.all([
        Block.find({ blockerId: id }).lean<BlockRecord[]>().exec(),
        Block.find({ blockedId: id }).lean<BlockRecord[]>().exec(),
      ]);
      return new Set([
        ...mine.map((b) => b.blockedId.toHexString()),
        ...theirs.map((b) => b.blockerId.toHexString()),
      ]);
    },
  };
}

export type BlockStore = ReturnType<typeof createBlockStore>;
