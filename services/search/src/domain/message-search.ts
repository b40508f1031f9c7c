import { pageLimits, type SearchPage, type SearchQuery } from '@palaver/contracts';
import type { MembershipLookup } from '../clients/membership-client.ts';
import type { SearchIndex } from '../store/search-index.ts';
import { parseQuery, snippetOf } from './search-text.ts';

/** `rank_createdAtMs_messageId` of the last hit of a page. */
const cursorOf = (hit: { rank: number; created_at: Date; message_id: string }) =>
  `${hit.rank}_${hit.created_at.getTime()}_${hit.message_id}`;

function parseCursor(cursor: string) {
  const [rank, createdAt, messageId] = cursor.split('_');
  return { rank: Number(rank), createdAt: new Date(Number(createdAt)), messageId: messageId as string };
}

/**
 * Search over what the caller may read right now: the message service names the caller's
 * conversations on every query (no cache, so a removed member loses results at once), and
 * the index is asked only within them.
 */
export function createMessageSearch(deps: { index: SearchIndex; membershipsOf: MembershipLookup }) {
  return async (authorization: string, query: SearchQuery): Promise<SearchPage> => {
    const terms = parseQuery(query.q);
    const limit = query.limit ?? pageLimits.search.default;
    const memberOf = await deps.membershipsOf(authorization);
    const conversationIds = query.conversationId
      ? memberOf.filter((id) => id === query.conversationId)
      : memberOf;
    if (conversationIds.length === 0) return { results: [], nextCursor: null };

    const hits = await deps.index.search({
      terms,
      conversationIds,
      senderId: query.senderId,
      after: query.cursor ? parseCursor(query.cursor) : undefined,
      limit: limit + 1,
    });
    const page = hits.slice(0, limit);
    const words = terms.map((term) => term.text);
    return {
      results: page.map((hit) => ({
        messageId: hit.message_id,
        conversationId: hit.conversation_id,
        seq: hit.seq,
        senderId: hit.sender_id,
        createdAt: hit.created_at.toISOString(),
        editedAt: hit.edited_at ? hit.edited_at.toISOString() : null,
        rank: hit.rank / 1000,
        snippet: snippetOf(hit.body, words),
      })),
      nextCursor:
        hits.length > limit && page.length > 0 ? cursorOf(page[page.length - 1] as (typeof page)[0]) : null,
    };
  };
}

export type MessageSearch = ReturnType<typeof createMessageSearch>;
