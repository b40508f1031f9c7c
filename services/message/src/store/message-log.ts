import { insertedUnlessTaken } from '@palaver/service-kit';
import { type Connection, Schema, type Types } from 'mongoose';
import { createGaplessNumbers } from './gapless-numbers.ts';
import { blockOf, readBlocks } from './message-store.ts';

/** An entry of a message log: its number in the log, the message it names, and when. */
export type MessageLogEntry<KeyField extends string, NumberField extends string> = {
  _id: string; // `${key}:${number}`
  /** `blockOf(number)`: the entries of one block are read with one equality lookup, as messages are. */
  block: number;
  messageId: Types.ObjectId;
  at: Date;
} & Record<KeyField, Types.ObjectId> &
  Record<NumberField, number>;

interface MessageLogOptions<KeyField extends string, NumberField extends string> {
  model: string;
  collection: string;
  key: KeyField;
  number: NumberField;
  /** Whether a message has at most one entry (a reply one place), under a unique index. */
  oncePerMessage: boolean;
}

/**
 * A log of messages per key (a conversation's changes, a thread's replies): entries numbered
 * from 1 per key without gaps by `createGaplessNumbers`, only ever inserted, and read a block
 * at a time. `key` and `number` name the key and the number in the stored documents. Defined
 * once per module: a connection takes a model's schema once, however many stores open it.
 */
export function defineMessageLog<KeyField extends string, NumberField extends string>(
  log: MessageLogOptions<KeyField, NumberField>,
) {
  const schema = new Schema(
    {
      _id: { type: String, required: true },
      [log.key]: { type: Schema.Types.ObjectId, required: true },
      [log.number]: { type: Number, required: true },
      block: { type: Number, required: true },
      messageId: { type: Schema.Types.ObjectId, required: true },
      at: { type: Date, required: true },
    },
    { collection: log.collection, versionKey: false },
  );
  schema.index({ [log.key]: 1, block: 1 });
  if (log.oncePerMessage) schema.index({ messageId: 1 }, { unique: true });
  return { ...log, schema };
}

/** The log `defineMessageLog` describes, on a connection. */
export function openMessageLog<KeyField extends string, NumberField extends string>(
  connection: Connection,
  log: MessageLogOptions<KeyField, NumberField> & { schema: Schema },
) {
  type LogEntry = MessageLogEntry<KeyField, NumberField>;
  const { key, number } = log;
  const Entry = connection.model(log.model, log.schema);

  const idOf = (keyId: Types.ObjectId, n: number) => `${keyId.toHexString()}:${n}`;
  const numbers = createGaplessNumbers(
    async (keyId, n) => (await Entry.exists({ _id: idOf(keyId, n) }).exec()) !== null,
  );

  return {
    model: Entry,

    /** The number of entries (the last number taken). */
    head: numbers.head,

    /**
     * Appends an entry naming the message; returns its number. When a claim is lost,
     * `settled()` may say the message was entered meanwhile (see `claim`).
     */
    append: (
      keyId: Types.ObjectId,
      entry: { messageId: Types.ObjectId; at: Date },
      settled?: () => Promise<number | null>,
    ): Promise<number> =>
      numbers.claim(
        keyId,
        (n) =>
          insertedUnlessTaken(
            Entry.collection.insertOne({
              _id: idOf(keyId, n),
              [key]: keyId,
              [number]: n,
              block: blockOf(n),
              ...entry,
            } as never),
          ),
        settled,
      ),

    /** The number of the message's entry, if it has one (the first, unless `oncePerMessage`). */
    numberOf: async (messageId: Types.ObjectId) =>
      (await Entry.findOne({ messageId }).lean<LogEntry>().exec())?.[number] ?? null,

    /** The entry numbered `n`, if there is one. */
    entry: (keyId: Types.ObjectId, n: number) => Entry.findById(idOf(keyId, n)).lean<LogEntry>().exec(),

    /** Entries numbered in [from, to], in order: one equality lookup per block. */
    range: (keyId: Types.ObjectId, from: number, to: number) =>
      readBlocks(
        from,
        to,
        (block) =>
          Entry.find({ [key]: keyId, block } as never)
            .lean<LogEntry[]>()
            .exec(),
        (entry) => entry[number],
      ),
  };
}
