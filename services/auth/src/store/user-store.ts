import type { PublicUser } from '@palaver/contracts';
import { type Connection, type InferSchemaType, Schema, Types } from 'mongoose';

const userSchema = new Schema(
  {
    /** Canonical lower-case form; unique, so uniqueness is case-insensitive. */
    username: { type: String, required: true },
    displayName: { type: String, required: true },
    /** Lower-case copy for prefix search without a collation (FerretDB has none). */
    displayNameLower: { type: String, required: true },
    passwordHash: { type: String, required: true },
    /** An upload made as an avatar, checked with the upload service when it was set. */
    avatarUploadId: { type: Schema.Types.ObjectId, default: null },
  },
  { collection: 'users', timestamps: true, strict: 'throw' },
);
userSchema.index({ username: 1 }, { unique: true });
userSchema.index({ displayNameLower: 1, username: 1 });

export type UserRecord = InferSchemaType<typeof userSchema> & { _id: import('mongoose').Types.ObjectId };

/** The public profile: never the hash, never anything token-related. */
export function toPublicUser(
  user: Pick<UserRecord, '_id' | 'username' | 'displayName' | 'createdAt' | 'avatarUploadId'>,
): PublicUser {
  return {
    id: user._id.toHexString(),
    username: user.username,
    displayName: user.displayName,
    // Absent on accounts made before avatars existed.
    avatar: user.avatarUploadId ? { uploadId: user.avatarUploadId.toHexString() } : null,
    createdAt: user.createdAt.toISOString(),
  };
}

/** A profile change; what is absent stays as it is. */
export interface ProfileChange {
  displayName?: string;
  /** null removes the avatar. */
  avatarUploadId?: string | null;
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

    /** One update of the user's own document: a concurrent change of another field is kept. */
    updateProfile: (id: string, change: ProfileChange) => {
      const set: Record<string, unknown> = {};
      if (change.displayName !== undefined) {
        set.displayName = change.displayName;
        set.displayNameLower = change.displayName.toLowerCase();
      }
      if (change.avatarUploadId !== undefined) {
        set.avatarUploadId =
          change.avatarUploadId === null ? null : new Types.ObjectId(change.avatarUploadId);
      }
      return User.findByIdAndUpdate(id, { $set: set }, { new: true }).lean<UserRecord>().exec();
    },

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
        .select({ username: 1, displayName: 1, avatarUploadId: 1, createdAt: 1 })
        .lean<UserRecord[]>()
        .exec();
    },
  };
}

export type UserStore = ReturnType<typeof createUserStore>;
