import { maxUsernameLookup, mentionedName, mentionPattern, minUsernameLength } from '@palaver/contracts';
import { Types } from 'mongoose';
import type { MembershipStore } from '../store/membership-store.ts';
import type { People } from './people.ts';

/** The distinct usernames (lower case) a body names, at most `maxUsernameLookup`. */
export function mentionedUsernames(body: string | null): string[] {
  if (!body?.includes('@')) return [];
  const names = new Set<string>();
  for (const match of body.matchAll(mentionPattern)) {
    const name = mentionedName(match);
    if (name.length >= minUsernameLength) names.add(name);
    if (names.size === maxUsernameLookup) break;
  }
  return [...names];
}

/**
 * Resolves the `@username`s of a message into the ids of the conversation's members they
 * name; names of non-members (or of nobody) stay plain text.
 */
export function createMentionResolver(deps: { people: People; memberships: MembershipStore }) {
  return async (conversationId: Types.ObjectId, body: string | null, onBehalfOf: string | undefined) => {
    const usernames = mentionedUsernames(body);
    if (usernames.length === 0) return [];
    const ids = [...new Set((await deps.people.idsOfUsernames(usernames, onBehalfOf)).values())];
    const memberships = await Promise.all(ids.map((id) => deps.memberships.find(conversationId, id)));
    return ids.filter((_, i) => memberships[i] !== null).map((id) => new Types.ObjectId(id));
  };
}

export type MentionResolver = ReturnType<typeof createMentionResolver>;
