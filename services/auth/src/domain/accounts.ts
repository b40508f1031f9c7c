import {
  type AuthResult,
  type LoginBody,
  type PublicUser,
  pageLimits,
  type RegisterBody,
  type UserPage,
} from '@palaver/contracts';
import { isDuplicateKey } from '@palaver/service-kit';
import { AuthError } from '../errors.ts';
import { type ProfileChange, toPublicUser, type UserStore } from '../store/user-store.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import type { Sessions } from './sessions.ts';

/** Throws unless `uploadId` is an avatar upload of `userId` (asked with their bearer, `onBehalfOf`). */
export type AvatarCheck = (uploadId: string, userId: string, onBehalfOf: string) => Promise<void>;

// Over 80 lines as a whole: a factory whose methods (each short) share its dependencies.
/** Registration, login and profiles: the rules, with storage and tokens injected. */
export function createAccounts(deps: {
  users: UserStore;
  sessions: Sessions;
  /** Tells the others a profile changed (best effort: a missed one shows at their next load). */
  announceProfile: (user: PublicUser) => void;
  /** Refuses an upload that is not the caller's own avatar image. */
  checkAvatar: AvatarCheck;
}) {
  const { users, sessions } = deps;

  return {
    async register(input: RegisterBody, userAgent?: string): Promise<AuthResult> {
      const username = input.username.toLowerCase();
      if (await users.findByUsername(username)) {
        throw new AuthError('username_taken', 'That username is taken');
      }
      const passwordHash = await hashPassword(input.password);
      let user: Awaited<ReturnType<UserStore['insert']>>;
      try {
        user = await users.insert({ username, displayName: input.displayName.trim(), passwordHash });
      } catch (error) {
        // Two registrations raced past the check above; the unique index decides.
        if (isDuplicateKey(error)) throw new AuthError('username_taken', 'That username is taken');
        throw error;
      }
      const pair = await sessions.openSession(user._id.toHexString(), userAgent);
      return { user: toPublicUser(user), ...pair };
    },

    /** Same error, same work, for an unknown user and a wrong password. */
    async login(input: LoginBody, userAgent?: string): Promise<AuthResult> {
      const user = await users.findByUsername(input.username.toLowerCase());
      const valid = await verifyPassword(user?.passwordHash, input.password);
      if (!user || !valid) throw new AuthError('invalid_credentials', 'Wrong username or password');
      const pair = await sessions.openSession(user._id.toHexString(), userAgent);
      return { user: toPublicUser(user), ...pair };
    },

    async profile(userId: string): Promise<PublicUser> {
      const user = await users.findById(userId);
      if (!user) throw new AuthError('not_found', 'No such user');
      return toPublicUser(user);
    },

    /** A new display name, avatar, or both; `onBehalfOf` is the caller's bearer, for the avatar check. */
    async updateSelf(userId: string, change: ProfileChange, onBehalfOf: string): Promise<PublicUser> {
      if (change.avatarUploadId) await deps.checkAvatar(change.avatarUploadId, userId, onBehalfOf);
      const user = await users.updateProfile(userId, {
        ...change,
        ...(change.displayName !== undefined ? { displayName: change.displayName.trim() } : {}),
      });
      if (!user) throw new AuthError('not_found', 'No such user');
      const profile = toPublicUser(user);
      deps.announceProfile(profile);
      return profile;
    },

    /** The profiles of those of `ids` who have an account; the others are simply absent. */
    async lookup(ids: string[], usernames: string[] = []): Promise<{ users: PublicUser[] }> {
      const [byId, byName] = await Promise.all([
        ids.length > 0 ? users.findByIds(ids) : [],
        Promise.all(usernames.map((username) => users.findByUsername(username.toLowerCase()))),
      ]);
      const found = new Map(
        [...byId, ...byName].filter((user) => user !== null).map((user) => [user._id.toHexString(), user]),
      );
      return { users: [...found.values()].map(toPublicUser) };
    },

    async search(query: { q?: string; limit?: number; cursor?: string }): Promise<UserPage> {
      const limit = query.limit ?? pageLimits.users.default;
      const found = await users.search({
        prefix: query.q?.trim() ?? '',
        limit: limit + 1,
        ...(query.cursor ? { after: query.cursor } : {}),
      });
      const page = found.slice(0, limit);
      return {
        users: page.map(toPublicUser),
        nextCursor: found.length > limit ? (page.at(-1)?.username ?? null) : null,
      };
    },
  };
}

export type Accounts = ReturnType<typeof createAccounts>;
