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

/** Usernames resolved once (for mentions): a username never changes owner, so it never goes stale. */
const knownUsernameSchema = new Schema(
  {
    _id: { type: String, required: true }, // the username, lower case
    userId: { type: Schema.Types.ObjectId, required: true },
  },
  { collection: 'known_usernames', versionKey: false },
);

export function createKnownUserStore(connection: Connection) {
  const KnownUser = connection.model('KnownUser', knownUserSchema);
  const KnownUsername = connection.model('KnownUsername', knownUsernameSchema);

  return {
    models: [KnownUser, KnownUsername],

    /** The ids of those of `usernames` already resolved: one lookup by `_id` each. */
    idsOfUsernames: async (usernames: string[]): Promise<Map<string, string>> => {
      const found = await Promise.all(
        usernames.map((_id) => KnownUsername.findById(_id).lean<{ userId: Types.ObjectId }>().exec()),
      );
      return new Map(
        usernames.flatMap((name, i) => {
          const hit = found[i];
          return hit ? [[name, hit.userId.toHexString()] as const] : [];
        }),
      );
    },

    rememberUsernames: async (entries: Map<string, string>) => {
      if (entries.size === 0) return;
      try {
        await KnownUsername.collection.insertMany(
          [...entries].map(([_id, userId]) => ({ _id, userId: new Types.ObjectId(userId) })) as never[],
          { ordered: false },
        );
      } catch (error) {
        duplicateIndexes(error);
      }
    },

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
