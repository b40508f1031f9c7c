import { maxReactionKinds } from '@palaver/contracts';
import { isDuplicateKey } from '@palaver/service-kit';
import { type Connection, Schema, Types } from 'mongoose';
import { blockOf } from './message-store.ts';

/**
 * One document per (message, user, emoji): reacting is an insert and taking it back a
 * delete under that id, so concurrent reactions never overwrite each other (a list on the
 * message document would lose one: updates are not isolated on FerretDB). Keyed by the
 * message's block like messages, so a page's reactions are read as one lookup per block.
 */
const reactionSchema = new Schema(
  {
    _id: { type: String, required: true }, // `${messageId}:${userId}:${emoji}`
    messageId: { type: Schema.Types.ObjectId, required: true },
    conversationId: { type: Schema.Types.ObjectId, required: true },
    block: { type: Number, required: true },
    userId: { type: Schema.Types.ObjectId, required: true },
    emoji: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { collection: 'reactions', versionKey: false },
);
reactionSchema.index({ conversationId: 1, block: 1 });
reactionSchema.index({ messageId: 1 });

/**
 * The emoji a message has ever had, each holding one of `maxReactionKinds` numbered slots.
 * Taking a slot is an insert that the unique (message, slot) index lets only one writer
 * win, so the bound holds under any concurrency; a slot stays taken when its emoji's last
 * reaction goes (freeing it would race a new reaction of that emoji).
 */
const emojiSlotSchema = new Schema(
  {
    _id: { type: String, required: true }, // `${messageId}:${emoji}`
    messageId: { type: Schema.Types.ObjectId, required: true },
    slot: { type: Number, required: true },
  },
  { collection: 'reaction_emojis', versionKey: false },
);
emojiSlotSchema.index({ messageId: 1, slot: 1 }, { unique: true });

export interface ReactionRecord {
  _id: string;
  messageId: Types.ObjectId;
  conversationId: Types.ObjectId;
  block: number;
  userId: Types.ObjectId;
  emoji: string;
  at: Date;
}

const reactionId = (messageId: Types.ObjectId, userId: string, emoji: string) =>
  `${messageId.toHexString()}:${userId}:${emoji}`;

export function createReactionStore(connection: Connection) {
  const Reaction = connection.model('Reaction', reactionSchema);
  const EmojiSlot = connection.model('ReactionEmoji', emojiSlotSchema);

  /** Makes sure the emoji holds a slot on the message; false when all slots are taken. */
  async function claimSlot(messageId: Types.ObjectId, emoji: string): Promise<boolean> {
    const _id = `${messageId.toHexString()}:${emoji}`;
    for (let attempt = 0; attempt <= maxReactionKinds; attempt++) {
      if (await EmojiSlot.exists({ _id }).exec()) return true;
      const taken = await EmojiSlot.countDocuments({ messageId }).exec();
      if (taken >= maxReactionKinds) return false;
      try {
        await EmojiSlot.collection.insertOne({ _id, messageId, slot: taken } as never);
        return true;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        // The same emoji claimed meanwhile (its id), or another took this slot: look again.
      }
    }
    return false;
  }

  return {
    models: [Reaction, EmojiSlot],

    /**
     * Adds a user's reaction; `added` is false when it was there already, `full` when the
     * message has no slot left for a new emoji.
     */
    add: async (
      message: { _id: Types.ObjectId; conversationId: Types.ObjectId; seq: number },
      userId: string,
      emoji: string,
    ): Promise<{ added: boolean; full: boolean }> => {
      if (!(await claimSlot(message._id, emoji))) return { added: false, full: true };
      try {
        await Reaction.collection.insertOne({
          _id: reactionId(message._id, userId, emoji),
          messageId: message._id,
          conversationId: message.conversationId,
          block: blockOf(message.seq),
          userId: new Types.ObjectId(userId),
          emoji,
          at: new Date(),
        } as never);
        return { added: true, full: false };
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        return { added: false, full: false };
      }
    },

    /** Takes a user's reaction back; true if this call removed it. */
    remove: async (messageId: Types.ObjectId, userId: string, emoji: string) =>
      (await Reaction.deleteOne({ _id: reactionId(messageId, userId, emoji) }).exec()).deletedCount > 0,

    /** Reactions on messages with seq in [from, to]: one equality lookup per block. */
    range: async (conversationId: Types.ObjectId, from: number, to: number): Promise<ReactionRecord[]> => {
      if (to < from) return [];
      const blocks: number[] = [];
      for (let block = blockOf(from); block <= blockOf(to); block++) blocks.push(block);
      const found = await Promise.all(
        blocks.map((block) => Reaction.find({ conversationId, block }).lean<ReactionRecord[]>().exec()),
      );
      return found.flat();
    },

    ofMessage: (messageId: Types.ObjectId) => Reaction.find({ messageId }).lean<ReactionRecord[]>().exec(),
  };
}

export type ReactionStore = ReturnType<typeof createReactionStore>;
