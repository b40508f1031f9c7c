import type { EventType } from '@palaver/contracts';
import { duplicateIndexes } from '@palaver/service-kit';
import { type Connection, Schema, type Types } from 'mongoose';

/**
 * Events not yet confirmed by the broker, one document each: written before (or with) the
 * change they announce, deleted once published. It holds only what is in flight, so its
 * reads stay cheap however long the history grows, and no change has to be updated to
 * clear a "published" mark.
 */
const outboxSchema = new Schema(
  {
    _id: { type: String, required: true }, // the event id consumers deduplicate by
    type: { type: String, required: true },
    at: { type: Date, required: true },
    /** The conversation a conversation event is about (a batch of sends may span several). */
    conversationId: { type: Schema.Types.ObjectId, default: null },
    /**
     * Message events are built from the messages as stored when they are published; one
     * entry covers a whole batch of sends (each message keeps its own event id).
     */
    messageIds: { type: [Schema.Types.ObjectId], default: [] },
    /** Other events carry their payload. */
    data: { type: Schema.Types.Mixed, default: null },
  },
  { collection: 'outbox', versionKey: false },
);
outboxSchema.index({ at: 1, _id: 1 });

export interface OutboxRecord {
  _id: string;
  type: EventType;
  at: Date;
  conversationId: Types.ObjectId | null;
  messageIds: Types.ObjectId[];
  data: object | null;
}

export function createOutboxStore(connection: Connection) {
  const Outbox = connection.model('OutboxEvent', outboxSchema);

  return {
    models: [Outbox],

    /** Stores events; one already there (same id) is the same event and is kept. */
    add: async (records: OutboxRecord[]) => {
      if (records.length === 0) return;
      try {
        await Outbox.collection.insertMany(records as never[], { ordered: false });
      } catch (error) {
        duplicateIndexes(error); // rethrows anything but duplicates
      }
    },

    /** Oldest first, so a conversation's events keep their order when replayed. */
    pending: (limit: number) =>
      Outbox.find().sort({ at: 1, _id: 1 }).limit(limit).lean<OutboxRecord[]>().exec(),

    /** By id, one each: an `_id` equality is what every backend looks up by index. */
    remove: (id: string) => Outbox.deleteOne({ _id: id }).exec(),
  };
}

export type OutboxStore = ReturnType<typeof createOutboxStore>;
