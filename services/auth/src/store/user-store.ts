import { type Connection, type InferSchemaType, Schema } from 'mongoose';

const userSchema = new Schema(
  {
    /** Canonical lower-case form; unique, so uniqueness is case-insensitive. */
    username: { type: String, required: true },
    displayName: { type: String, required: true },
    /** Lower-case copy for prefix search without a collation (FerretDB has none). */
    displayNameLower: { type: String, required: true },
    passwordHash: { type: String, required: true },
  },
  { collection: 'users', timestamps: true, strict: 'throw' },
);
userSchema.index({ username: 1 }, { unique: true });
userSchema.index({ displayNameLower: 1, username: 1 });

export type UserRecord = InferSchemaType<typeof userSchema> & { _id: import('mongoose').Types.ObjectId };

export interface PublicUserView {
  id: string;
  username: string;
  displayName: string;
  createdAt: string;
}

/** The public profile: never the hash, never anything token-related. */
export function toPublicUser(
  user: Pick<UserRecord, '_id' | 'username' | 'displayName' | 'createdAt'>,
): PublicUserView {
  return {
    id: user._id.toHexString(),
    username: user.username,
    displayName: user.displayName,
    createdAt: user.createdAt.toISOString(),
  };
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function createUserStore(connection: Connection) {
  const User = connection.model('User', userSchema);

  return {
    model: User,

    async insert(fields: {
      username: string;
      displayName: string;
      passwordHash: string;
    }): Promise<UserRecord> {
      const user = await User.create({ ...fields, displayNameLower: fields.displayName.toLowerCase() });
      return user.toObject();
    },

    findByUsername: (username: string) => User.findOne({ username }).lean<UserRecord>().exec(),

    findById: (id: string) => User.findById(id).lean<UserRecord>().exec(),

    findByIds: (ids: string[]) =>
      User.find({ _id: { $in: ids } })
        .lean<UserRecord[]>()
        .exec(),

    updateDisplayName: (id: string, displayName: string) =>
      User.findByIdAndUpdate(
        id,
        { $set: { displayName, displayNameLower: displayName.toLowerCase() } },
        { new: true },
      )
        .lean<UserRecord>()
        .exec(),

    /** Prefix match on username or display name, ordered by username, keyset-paginated. */
    search: (query: { prefix: string; after?: string; limit: number }) => {
      const filter: Record<string, unknown> = {};
      if (query.prefix) {
        const regex = new RegExp(`^${escapeRegex(query.prefix.toLowerCase())}`);
        filter.$or = [{ username: regex }, { displayNameLower: regex }];
      }
      if (query.after) filter.username = { $gt: query.after };
      return User.find(filter)
        .sort({ username: 1 })
        .limit(query.limit)
        .select({ username: 1, displayName: 1, createdAt: 1 })
        .lean<UserRecord[]>()
        .exec();
    },
  };
}

export type UserStore = ReturnType<typeof createUserStore>;
