import { insertedUnlessTaken } from '@palaver/service-kit';
import { type Connection, Schema, type Types } from 'mongoose';
import { blockOf, readBlocks } from './message-store.ts';

/**
 * Each change to a conversation's stored messages (an edit, a deletion, a reaction),
 * numbered from 1 per conversation without gaps: the change cursor `sync` resumes from.
 *
 * Number n is claimed by a unique insert, and only after n - 1 was seen stored, so the
 * numbers are always 1..head with none missing, and a reader that has seen n has seen
 * every change before it. A record names the message, not what changed: a reader sends
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

export interface ChangeRecord {
  _id: string;
  conversationId: Types.ObjectId;
  changeSeq: number;
  block: number;
  messageId: Types.ObjectId;
  at: Date;
}

/** Conversations whose last known change number a process keeps, as a start for probing. */
const hintedConversations = 10_000;
/** Claims of the next number lost to concurrent writers before giving up. */
const maxClaims = 50;

const idOf = (conversationId: Types.ObjectId, changeSeq: number) =>
  `${conversationId.toHexString()}:${changeSeq}`;

export function createChangeStore(connection: Connection) {
  const Change = connection.model('MessageChange', changeSchema);
  /**
   * A lower bound of each conversation's head (any stored number is one, the numbers being
   * gapless), so finding the head probes a few ids forward, not the whole log.
   */
  const hints = new Map<string, number>();
  const remember = (conversationId: Types.ObjectId, changeSeq: number) => {
    const key = conversationId.toHexString();
    if ((hints.get(key) ?? 0) >= changeSeq) return;
    hints.delete(key);
    hints.set(key, changeSeq);
    if (hints.size > hintedConversations) hints.delete(hints.keys().next().value as string);
  };

  const exists = async (conversationId: Types.ObjectId, changeSeq: number) =>
    (await Change.exists({ _id: idOf(conversationId, changeSeq) }).exec()) !== null;

  /** The highest change number stored: doubling from the hint, then bisecting. */
  async function head(conversationId: Types.ObjectId): Promise<number> {
    let low = hints.get(conversationId.toHexString()) ?? 0;
    let step = 1;
    while (await exists(conversationId, low + step)) {
      low += step;
      step *= 2;
    }
    let high = low + step;
    while (high - low > 1) {
      const mid = Math.floor((low + high) / 2);
      if (await exists(conversationId, mid)) low = mid;
      else high = mid;
    }
    remember(conversationId, low);
    return low;
  }

  return {
    models: [Change],

    head,

    /** Records a change to a message; returns its number. */
    async append(conversationId: Types.ObjectId, messageId: Types.ObjectId): Promise<number> {
      for (let claim = 0; claim < maxClaims; claim++) {
        const changeSeq = (await head(conversationId)) + 1;
        const claimed = await insertedUnlessTaken(
          Change.collection.insertOne({
            _id: idOf(conversationId, changeSeq),
            conversationId,
            changeSeq,
            block: blockOf(changeSeq),
            messageId,
            at: new Date(),
          } as never),
        );
        if (claimed) {
          remember(conversationId, changeSeq);
          return changeSeq;
        }
        // Someone else took it: back off a little at random, so racers spread out.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 ** claim)));
      }
      throw new Error(`could not number a change in conversation ${conversationId.toHexString()}`);
    },

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
