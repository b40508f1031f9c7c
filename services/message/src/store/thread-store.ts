import { maxThreadParticipantsShown, type ThreadSummary } from '@palaver/contracts';
import { insertedUnlessTaken } from '@palaver/service-kit';
import { type Connection, Schema, type Types } from 'mongoose';
import { factSchema } from './fact-schema.ts';
import { defineMessageLog, openMessageLog } from './message-log.ts';
import { blockOf, type MessageRecord } from './message-store.ts';

/**
 * A thread's replies by place, numbered from 1 per root without gaps: a page of a thread is
 * a range of places, read a block at a time like messages, and the reply count is the head.
 * Each reply has one place (unique on its message id), and every document here is only ever
 * inserted, so concurrent replies lose nothing.
 */
const replyLog = defineMessageLog({
  model: 'ThreadReply',
  collection: 'thread_replies',
  key: 'rootId',
  number: 'place',
  oncePerMessage: true,
});

/** That a message has a thread, under the root's id and keyed by its block: a page's roots in one lookup. */
const threadSchema = new Schema(
  {
    _id: { type: Schema.Types.ObjectId, required: true }, // the root's id
    conversationId: { type: Schema.Types.ObjectId, required: true },
    seq: { type: Number, required: true },
    block: { type: Number, required: true },
  },
  { collection: 'threads', versionKey: false },
);
threadSchema.index({ conversationId: 1, block: 1 });

/** Who replied in a thread, once each under `${rootId}:${userId}`, when they first did. */
const participantSchema = factSchema(
  'thread_participants',
  { rootId: Schema.Types.ObjectId, userId: Schema.Types.ObjectId, at: Date },
  ['rootId'],
);

type Root = Pick<MessageRecord, '_id' | 'conversationId' | 'seq'>;

// Over 80 lines as a whole: a factory whose methods (each short) share its dependencies.
export function createThreadStore(connection: Connection) {
  const replies = openMessageLog(connection, replyLog);
  const Thread = connection.model('Thread', threadSchema);
  const Participant = connection.model('ThreadParticipant', participantSchema);

  const placeOf = replies.numberOf;

  /** Replies so far, the last one's time and the first repliers; null before the first reply. */
  async function summaryOf(rootId: Types.ObjectId): Promise<ThreadSummary | null> {
    const replyCount = await replies.head(rootId);
    if (replyCount === 0) return null;
    const [last, participants] = await Promise.all([
      replies.entry(rootId, replyCount),
      Participant.find({ rootId }).lean<Array<{ userId: Types.ObjectId; at: Date }>>().exec(),
    ]);
    return {
      replyCount,
      lastReplyAt: (last?.at ?? new Date()).toISOString(),
      participantIds: participants
        .sort((a, b) => a.at.getTime() - b.at.getTime())
        .slice(0, maxThreadParticipantsShown)
        .map((participant) => participant.userId.toHexString()),
    };
  }

  return {
    models: [replies.model, Thread, Participant],

    /**
     * Gives a stored reply its place in its root's thread; idempotent (a retried send, or a
     * twin racing it, gets the place the reply has).
     */
    async addReply(root: Root, reply: Pick<MessageRecord, '_id' | 'senderId' | 'createdAt'>) {
      const known = await placeOf(reply._id);
      if (known !== null) return known;
      await Promise.all([
        insertedUnlessTaken(
          Thread.collection.insertOne({
            _id: root._id,
            conversationId: root.conversationId,
            seq: root.seq,
            block: blockOf(root.seq),
          } as never),
        ),
        insertedUnlessTaken(
          Participant.collection.insertOne({
            _id: `${root._id.toHexString()}:${reply.senderId.toHexString()}`,
            rootId: root._id,
            userId: reply.senderId,
            at: reply.createdAt,
          } as never),
        ),
      ]);
      return replies.append(
        root._id,
        { messageId: reply._id, at: reply.createdAt },
        // A lost claim may be this reply's own place, taken by a twin (its unique message id).
        () => placeOf(reply._id),
      );
    },

    summaryOf,

    /** The thread summaries of the roots with seq in [from, to] (one lookup per block, then per root). */
    async summariesIn(conversationId: Types.ObjectId, from: number, to: number) {
      const blocks: number[] = [];
      for (let block = blockOf(from); block <= blockOf(to); block++) blocks.push(block);
      const roots = (
        await Promise.all(
          blocks.map((block) =>
            Thread.find({ conversationId, block }).lean<Array<{ _id: Types.ObjectId; seq: number }>>().exec(),
          ),
        )
      )
        .flat()
        .filter((root) => root.seq >= from && root.seq <= to);
      const summaries = await Promise.all(roots.map((root) => summaryOf(root._id)));
      return new Map(roots.map((root, i) => [root._id.toHexString(), summaries[i] ?? null]));
    },

    /** The number of replies (the last place taken). */
    replyCount: (rootId: Types.ObjectId) => replies.head(rootId),

    /** Replies at places in [from, to], in order: one equality lookup per block. */
    range: replies.range,
  };
}

export type ThreadStore = ReturnType<typeof createThreadStore>;
