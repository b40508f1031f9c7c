import { ObjectIdString } from '@palaver/contracts';
import { fetchOnBehalfOf } from '@palaver/service-kit';
import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { UserLookup, UsernameLookup } from '../domain/people.ts';
import { MessageError } from '../errors.ts';

/** The part of auth's `UserList` this needs: who was found. */
const userList = TypeCompiler.Compile(
  Type.Object({ users: Type.Array(Type.Object({ id: ObjectIdString, username: Type.String() })) }),
);

/**
 * Asks auth which ids are people (in one call for a whole member list), or whose these
 * usernames are, on behalf of the caller (their own token). Without an auth URL every id
 * is taken on trust and no username is known.
 */
export function createUserLookup(baseUrl: string | undefined, timeoutMs = 3000) {
  if (!baseUrl) return undefined;
  const lookup = async (body: { ids?: string[]; usernames?: string[] }, onBehalfOf: string) => {
    const response = await fetchOnBehalfOf(new URL('/users/lookup', baseUrl), onBehalfOf, {
      timeoutMs,
      unreachable: () => new MessageError('unavailable', 'Cannot look up users right now; retry'),
      body,
    });
    const found: unknown = response.ok ? await response.json().catch(() => undefined) : undefined;
    if (!userList.Check(found))
      throw new MessageError('unavailable', 'Cannot look up users right now; retry');
    return found.users;
  };
  const lookupUsers: UserLookup = async (ids, onBehalfOf) =>
    (await lookup({ ids }, onBehalfOf)).map((user) => user.id);
  const lookupUsernames: UsernameLookup = async (usernames, onBehalfOf) =>
    new Map((await lookup({ usernames }, onBehalfOf)).map((user) => [user.username, user.id]));
  return { lookupUsers, lookupUsernames };
}
