import { duplicateIndexes } from '@palaver/service-kit';
import { type Connection, Schema, Types } from 'mongoose';
import { factSchema, type RecordOf } from './fact-schema.ts';

/**
 * Mentions not yet read, one document per (message, mentioned member) under
 * `${messageId}:${userId}`, inserted when the message is stored or an edit adds the mention,
 * and deleted once the member's read mark passes it. A member's unread-mention counts are
 * one indexed lookup however long the history is, and never an update that could lose a
 * concurrent one.
 */
const mentionSchema = factSchema(
  'unread_mentions',
  { userId: Schema.Types.ObjectId, conversationId: Schema.Types.ObjectId, seq: Number },
  ['userId'],
);
export type MentionRecord = RecordOf<typeof mentionSchema>;

export function createMentionStore(connection: Connection) {
  const Mention = connection.model('UnreadMention', mentionSchema);
  const idOf = (messageId: Types.ObjectId, userId: string) => `${messageId.toHexString()}:${userId}`;

  return {
    models: [Mention],

    /** Records mentions of `userIds` by one message (idempotent). */
    add: async (
      message: { _id: Types.ObjectId; conversationId: Types.ObjectId; seq: number },
      userIds: string[],
    ) => {
      if (userIds.length === 0) return;
      const records = userIds.map((userId) => ({
        _id: idOf(message._id, userId),
        userId: new Types.ObjectId(userId),
        conversationId: message.conversationId,
        seq: message.seq,
      }));
      try {
        await Mention.collection.insertMany(records as never[], { ordered: false });
      } catch (error) {
        duplicateIndexes(error); // recorded before (a retried edit): anything else rethrows
      }
    },

    /** Forgets mentions an edit took out. */
    remove: async (messageId: Types.ObjectId, userIds: string[]) => {
      await Promise.all(userIds.map((userId) => Mention.deleteOne({ _id: idOf(messageId, userId) }).exec()));
    },

    /** The user's unread mentions, by conversation id. */
    countsOf: async (userId: string): Promise<Map<string, MentionRecord[]>> => {
      const found = await Mention.find({ userId: new Types.ObjectId(userId) })
        .lean<MentionRecord[]>()
        .exec();
      const byConversation = new Map<string, MentionRecord[]>();
      for (const mention of found) {
        const key = mention.conversationId.toHexString();
        byConversation.set(key, [...(byConversation.get(key) ?? []), mention]);
      }
      return byConversation;
    },

    /**
     * Drops the mentions a read mark has passed: one indexed read, then deletes by id only
     * for those there are (a filtered delete on every read mark stalled FerretDB under
     * concurrent sends).
     */
    readUpTo: async (conversationId: string, userId: string, seq: number) => {
      const passed = (
        await Mention.find({ userId: new Types.ObjectId(userId) })
          .lean<MentionRecord[]>()
          .exec()
      ).filter((m) => m.conversationId.equals(conversationId) && m.seq <= seq);
      await Promise.all(passed.map((m) => Mention.deleteOne({ _id: m._id }).exec()));
    },
  };
}

export type MentionStore = ReturnType<typeof createMentionStore>;
