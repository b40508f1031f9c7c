import { MessageError } from '../errors.ts';
import type { KnownUserStore } from '../store/known-user-store.ts';

/** Which of `ids` are people, asked of auth with the caller's authorization header. */
export type UserLookup = (ids: string[], onBehalfOf: string) => Promise<string[]>;
/** Whose these usernames are (lower case → user id), asked of auth likewise. */
export type UsernameLookup = (usernames: string[], onBehalfOf: string) => Promise<Map<string, string>>;

/**
 * Member ids must name people: a conversation with an id nobody owns would list a member
 * who can never read it. Ids auth confirmed once are remembered, so it is asked about each
 * person only the first time they are added anywhere.
 */
export function createPeople(deps: {
  knownUsers: KnownUserStore;
  lookup: { lookupUsers: UserLookup; lookupUsernames: UsernameLookup } | undefined;
}) {
  const { knownUsers } = deps;
  const lookupUsers = deps.lookup?.lookupUsers;
  return {
    /**
     * The user ids of those of `usernames` (lower case) that are people: resolved once and
     * remembered. Without auth (absent, failing, or no `onBehalfOf`) only remembered ones resolve.
     */
    async idsOfUsernames(usernames: string[], onBehalfOf: string | undefined): Promise<Map<string, string>> {
      if (usernames.length === 0) return new Map();
      const known = await knownUsers.idsOfUsernames(usernames);
      const unknown = usernames.filter((name) => !known.has(name));
      if (unknown.length === 0 || !deps.lookup || !onBehalfOf) return known;
      // A mention is a courtesy: auth being away must not cost the send.
      const found = await deps.lookup
        .lookupUsernames(unknown, onBehalfOf)
        .catch(() => new Map<string, string>());
      await knownUsers.rememberUsernames(found);
      return new Map([...known, ...found]);
    },

    /** Throws 400 `unknown_users`, listing them, when any of `ids` is not a person. */
    async assertExist(ids: string[], onBehalfOf: string | undefined) {
      if (!lookupUsers || ids.length === 0) return;
      const known = await knownUsers.known(ids);
      const unknown = ids.filter((id) => !known.has(id));
      if (unknown.length === 0) return;
      if (!onBehalfOf) throw new MessageError('unavailable', 'Cannot check member ids right now; retry');
      const found = new Set(await lookupUsers(unknown, onBehalfOf));
      await knownUsers.remember([...found]);
      const missing = unknown.filter((id) => !found.has(id));
      if (missing.length > 0) {
        throw new MessageError('unknown_users', `No such user: ${missing.slice(0, 5).join(', ')}`, {
          userIds: missing,
        });
      }
    },
  };
}

export type People = ReturnType<typeof createPeople>;
