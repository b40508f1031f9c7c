import { ObjectIdString } from '@palaver/contracts';
import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { UserLookup } from '../domain/people.ts';
import { MessageError } from '../errors.ts';

/** The part of auth's `UserList` this needs: who was found. */
const userList = TypeCompiler.Compile(
  Type.Object({ users: Type.Array(Type.Object({ id: ObjectIdString })) }),
);

/**
 * Asks auth which ids are people, on behalf of the caller (their own token), in one call
 * for a whole member list. Without an auth URL every id is taken on trust.
 */
export function createUserLookup(baseUrl: string | undefined, timeoutMs = 3000): UserLookup | undefined {
  if (!baseUrl) return undefined;
  return async (ids, onBehalfOf) => {
    let response: Response;
    try {
      response = await fetch(new URL('/users/lookup', baseUrl), {
        method: 'POST',
        headers: { authorization: onBehalfOf, 'content-type': 'application/json' },
        body: JSON.stringify({ ids }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch {
      throw new MessageError('unavailable', 'Cannot check member ids right now; retry');
    }
    const body: unknown = response.ok ? await response.json().catch(() => undefined) : undefined;
    if (!userList.Check(body))
      throw new MessageError('unavailable', 'Cannot check member ids right now; retry');
    return body.users.map((user) => user.id);
  };
}
