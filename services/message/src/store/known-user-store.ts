import { duplicateIndexes } from '@palaver/service-kit';
import { type Connection, Schema, Types } from 'mongoose';

/**
 * Ids auth has confirmed are people, one document each, so a member list is checked with
 * auth only once per person. Accounts are never deleted, so an entry never goes stale;
 * written by inserts under the id alone, so concurrent writers cannot conflict.
 */
const knownUserSchema = new Schema(
  { _id: { type: Schema.Types.ObjectId, required: true } },
  {
    collection: 'known_users',
    versionKey: false,
  },
);

export function createKnownUserStore(connection: Connection) {
  const KnownUser = connection.model('KnownUser', knownUserSchema);

  return {
    models: [KnownUser],

    /** Those of `ids` already confirmed: one lookup by `_id` each (a `$in` would scan on FerretDB). */
    known: async (ids: string[]): Promise<Set<string>> => {
      const found = await Promise.all(
        ids.map((id) => KnownUser.exists({ _id: new Types.ObjectId(id) }).exec()),
      );
      return new Set(ids.filter((_, i) => found[i] !== null));
    },

    remember: async (ids: string[]) => {
      if (ids.length === 0) return;
      try {
        await KnownUser.collection.insertMany(ids.map((id) => ({ _id: new Types.ObjectId(id) })) as never[], {
          ordered: false,
        });
      } catch (error) {
        duplicateIndexes(error); // someone remembered some first; anything else rethrows
      }
    },
  };
}

export type KnownUserStore = ReturnType<typeof createKnownUserStore>;
