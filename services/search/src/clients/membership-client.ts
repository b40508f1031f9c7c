import type { MembershipList } from '@palaver/contracts';
import { DomainError, fetchOnBehalfOf } from '@palaver/service-kit';

/** The conversations the caller is a member of now, asked of the message service with the caller's token. */
export type MembershipLookup = (authorization: string) => Promise<string[]>;

const requestTimeoutMs = 5000;

export function createMembershipLookup(messageUrl: string): MembershipLookup {
  const endpoint = new URL('/memberships', messageUrl);
  return async (authorization) => {
    const response = await fetchOnBehalfOf(endpoint, authorization, {
      timeoutMs: requestTimeoutMs,
      unreachable: () => new DomainError('unavailable', 'The message service is unreachable; try again'),
    });
    const payload = (await response.json().catch(() => undefined)) as
      | (MembershipList & { error?: { code: string; message: string } })
      | undefined;
    if (response.ok && payload) return payload.conversationIds;
    // Its 401 (a token it refuses) is ours too; anything else is its trouble, not the caller's.
    if (response.status === 401 && payload?.error)
      throw new DomainError(payload.error.code, payload.error.message);
    throw new DomainError('unavailable', 'The message service could not answer; try again');
  };
}
