import { insertedUnlessTaken } from '@palaver/service-kit';
import { type Connection, type InferSchemaType, Schema, type Types } from 'mongoose';
import { createGaplessNumbers } from './gapless-numbers.ts';
import { blockOf, readBlocks } from './message-store.ts';

/**
 * Each change to a conversation's stored messages (an edit, a deletion, a reaction),
 * numbered from 1 per conversation without gaps: the change cursor `sync` resumes from.
 * Numbered by `createGaplessNumbers`. A record names the message, not what changed: a reader sends
 * the message as it is now, so replaying a change twice is harmless.
 */
const changeSchema = new Schema(
  {
    _id: { type: String, required: true }, // `${conversationId}:${changeSeq}`
    conversationId: { type: Schema.Types.ObjectId, required: true },
    changeSeq: { type: Number, required: true },
    /** The changes in one block are read with one equality lookup, as messages are. */
    block: { type: Number, required: true },
    messageId: { type: Schema.Types.ObjectId, required: true },
    at: { type: Date, required: true },
  },
  { collection: 'message_changes', versionKey: false },
);
changeSchema.index({ conversationId: 1, block: 1 });

export type ChangeRecord = InferSchemaType<typeof changeSchema>;

const idOf = (conversationId: Types.ObjectId, changeSeq: number) =>
  `${conversationId.toHexString()}:${changeSeq}`;

export function createChangeStore(connection: Connection) {
  const Change = connection.model('MessageChange', changeSchema);
  const numbers = createGaplessNumbers(
    async (conversationId, changeSeq) =>
      (await Change.exists({ _id: idOf(conversationId, changeSeq) }).exec()) !== null,
  );

  return {
    models: [Change],

    head: numbers.head,

    /** Records a change to a message; returns its number. */
    append: (conversationId: Types.ObjectId, messageId: Types.ObjectId): Promise<number> =>
      numbers.claim(conversationId, (changeSeq) =>
        insertedUnlessTaken(
          Change.collection.insertOne({
            _id: idOf(conversationId, changeSeq),
            conversationId,
            changeSeq,
            block: blockOf(changeSeq),
            messageId,
            at: new Date(),
          } as never),
        ),
      ),

    /** Changes numbered in [from, to], in order: one equality lookup per block. */
    range: (conversationId: Types.ObjectId, from: number, to: number) =>
      readBlocks(
        from,
        to,
        (block) => Change.find({ conversationId, block }).lean<ChangeRecord[]>().exec(),
        (change) => change.changeSeq,
      ),
  };
}

export type ChangeStore = ReturnType<typeof createChangeStore>;
