import type { SearchHit } from '@palaver/contracts';
import { maxSearchTerms } from '@palaver/contracts/limits';
import { useEffect, useRef, useState } from 'react';
import { useChatClient } from './use-chat.ts';

/** A pause in typing this long sends the query. */
export const searchDebounceMs = 250;

export interface SearchResults {
  /** idle: nothing to search for yet; loading: the first page is on its way. */
  status: 'idle' | 'loading' | 'ready' | 'error';
  hits: SearchHit[];
  nextCursor: string | null;
  error: unknown;
  /** The next page: on its way, or it failed. */
  more: 'idle' | 'loading' | 'error';
}

const idle: SearchResults = { status: 'idle', hits: [], nextCursor: null, error: null, more: 'idle' };

/** Words as the server splits them (on white space); more than the contracts allow is not sent. */
export const queryWords = (query: string) => query.trim().split(/\s+/).filter(Boolean).length;

/**
 * Messages matching `query` (in one conversation when `conversationId` is set): asked once
 * typing pauses, answers to superseded queries dropped, further pages appended by cursor.
 */
export function useMessageSearch(query: string, conversationId: string | undefined) {
  const client = useChatClient();
  const [results, setResults] = useState<SearchResults>(idle);
  const [attempt, setAttempt] = useState(0);
  // Bumped by every new query: an answer for an older one is dropped.
  const generation = useRef(0);
  const q = query.trim();
  const tooManyWords = queryWords(q) > maxSearchTerms;

  // biome-ignore lint/correctness/useExhaustiveDependencies: `attempt` asks again after a failure
  useEffect(() => {
    const ticket = ++generation.current;
    if (!q || tooManyWords) {
      setResults(idle);
      return;
    }
    // The hits of the previous query stay on screen until the new ones arrive.
    setResults((held) => ({ ...held, status: 'loading', error: null }));
    const timer = setTimeout(() => {
      client.searchMessages({ q, conversationId }).then(
        (page) => {
          if (ticket !== generation.current) return;
          setResults({ ...idle, status: 'ready', hits: page.results, nextCursor: page.nextCursor });
        },
        (error: unknown) => ticket === generation.current && setResults({ ...idle, status: 'error', error }),
      );
    }, searchDebounceMs);
    return () => clearTimeout(timer);
  }, [client, q, conversationId, tooManyWords, attempt]);

  const loadMore = async () => {
    const cursor = results.nextCursor;
    if (!cursor || results.more === 'loading') return;
    const ticket = generation.current;
    setResults((held) => ({ ...held, more: 'loading' }));
    try {
      const page = await client.searchMessages({ q, conversationId, cursor });
      if (ticket !== generation.current) return;
      setResults((held) => {
        const seen = new Set(held.hits.map((hit) => hit.messageId));
        const fresh = page.results.filter((hit) => !seen.has(hit.messageId));
        return { ...held, hits: [...held.hits, ...fresh], nextCursor: page.nextCursor, more: 'idle' };
      });
    } catch {
      if (ticket === generation.current) setResults((held) => ({ ...held, more: 'error' }));
    }
  };

  return { ...results, tooManyWords, loadMore, retry: () => setAttempt((n) => n + 1) };
}
