import type { MessageApi } from '../clients/message-api.ts';
import { GatewayError } from '../errors.ts';

/**
 * Who belongs to a conversation, for routing typing indicators without a call to the
 * message service on every keystroke. Entries live briefly and are replaced as soon as
 * a conversation event says the members changed.
 */
export interface MemberDirectory {
  /** The member ids, if `userId` is one of them; otherwise `not_found`, as over HTTP. */
  membersFor(token: string, userId: string, conversationId: string): Promise<string[]>;
  remember(conversationId: string, memberIds: string[]): void;
}

const maxEntries = 10_000;

export function createMemberDirectory(messageApi: MessageApi, ttlMs = 60_000): MemberDirectory {
  const entries = new Map<string, { memberIds: string[]; expiresAt: number }>();

  function remember(conversationId: string, memberIds: string[]) {
    // Map keeps insertion order: dropping the first key evicts the oldest entry.
    entries.delete(conversationId);
    if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
    entries.set(conversationId, { memberIds, expiresAt: Date.now() + ttlMs });
  }

  return {
    async membersFor(token, userId, conversationId) {
      const cached = entries.get(conversationId);
      let memberIds = cached && cached.expiresAt > Date.now() ? cached.memberIds : undefined;
      if (!memberIds) {
        const conversation = await messageApi.conversation(token, conversationId);
        memberIds = conversation.members.map((member) => member.userId);
        remember(conversationId, memberIds);
      }
      if (!memberIds.includes(userId)) throw new GatewayError('not_found', 'No such conversation');
      return memberIds;
    },
    remember,
  };
}
