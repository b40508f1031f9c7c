import { Schema, type Types } from 'mongoose';

type FieldType = StringConstructor | NumberConstructor | DateConstructor | typeof Schema.Types.ObjectId;
type ValueOf<T> = T extends StringConstructor
  ? string
  : T extends NumberConstructor
    ? number
    : T extends DateConstructor
      ? Date
      : Types.ObjectId;

/** A fact as stored: the composite id that names it, and its fields. */
export type FactRecord<Fields extends Record<string, FieldType>> = { _id: string } & {
  -readonly [Name in keyof Fields]: ValueOf<Fields[Name]>;
};

/**
 * The schema of a collection of facts (a block, a mute, an unread mention, a thread's
 * participant): one document per fact under a composite string `_id` that names it,
 * written by one insert and removed by one delete, never updated, so concurrent writers
 * never overwrite each other and a repeated insert is a duplicate key. Every field is
 * required; the `indexed` ones are looked up by.
 */
export function factSchema<const Fields extends Record<string, FieldType>>(
  collection: string,
  fields: Fields,
  indexed: Array<keyof Fields & string>,
) {
  const required = Object.entries(fields).map(([name, type]) => [name, { type, required: true }]);
  const schema = new Schema(
    { _id: { type: String, required: true }, ...Object.fromEntries(required) },
    { collection, versionKey: false },
  );
  for (const field of indexed) schema.index({ [field]: 1 });
  return schema as unknown as Schema<FactRecord<Fields>>;
}

/** The record type of a `factSchema`. */
export type RecordOf<S> = S extends Schema<infer Stored> ? Stored : never;
