import type { SearchHit } from '@palaver/contracts';
import { maxSearchQueryLength, maxSearchTerms } from '@palaver/contracts/limits';
import { type KeyboardEvent, type RefObject, useEffect, useId, useRef, useState } from 'react';
import { ApiError, describeError } from '../api/api-error.ts';
import { type ChatState, conversationTitle } from '../chat/chat-state.ts';
import { Avatar } from './avatar.tsx';
import { listTime } from './format.ts';
import { SearchIcon } from './icons.tsx';
import { Snippet } from './search-snippet.tsx';
import { shallowEqual, useChatState } from './use-chat.ts';
import { type SearchResults, useMessageSearch } from './use-message-search.ts';

export interface SearchPanelProps {
  /** The open conversation, which the search can be narrowed to. */
  conversationId: string | null;
  /** Start narrowed to the open conversation (opened from its header). */
  narrowed: boolean;
  onClose: () => void;
  onOpen: (hit: SearchHit) => void;
}

/** What the hits show: conversation titles and senders' names. */
const namesSlice = (state: ChatState) => ({
  me: state.me,
  conversations: state.conversations,
  users: state.users,
});
type Names = ReturnType<typeof namesSlice>;

const titleOf = (names: Names, conversationId: string) => {
  const held = names.conversations[conversationId];
  return held ? conversationTitle(held, names.me, names.users) : 'Conversation';
};

/**
 * Message search: a modal dialog (the whole screen on a phone). Typing searches; Down moves
 * from the box into the hits and Up/Down among them, Enter opens one; Escape or Back closes
 * and focus returns to what opened it. Opening a hit leaves the focus to the message shown.
 */
export function SearchPanel(props: SearchPanelProps) {
  const [query, setQuery] = useState('');
  const [narrowed, setNarrowed] = useState(props.narrowed && props.conversationId !== null);
  const results = useMessageSearch(query, narrowed ? (props.conversationId ?? undefined) : undefined);
  const names = useChatState(namesSlice, shallowEqual);
  const dialog = useRef<HTMLDialogElement>(null);
  const input = useRef<HTMLInputElement>(null);
  // Closing gives the focus back to what opened the search; opening a hit leaves it to the message.
  const giveBack = useRef(true);
  // After "Load more", the first hit it brought takes the focus (the button may be gone).
  const focusFrom = useRef<number | null>(null);
  const titleId = useId();
  // Read while rendering, before the dialog takes the focus (and again under StrictMode).
  const [opener] = useState(() => document.activeElement as HTMLElement | null);

  useEffect(() => {
    dialog.current?.showModal?.();
    input.current?.focus();
    // Once the dialog is gone: while it is open, everything outside it is inert.
    return () => {
      if (giveBack.current) opener?.focus?.();
    };
  }, [opener]);
  const close = useBackCloses(props.onClose);
  const open = (hit: SearchHit) => {
    giveBack.current = false;
    props.onOpen(hit);
  };

  return (
    <dialog
      ref={dialog}
      className="search-panel"
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        close();
      }}
      onKeyDown={(event) => {
        // Escape in the middle of composing (an input method, e.g. for Chinese) cancels that only.
        if (event.key !== 'Escape' || event.nativeEvent.isComposing) return;
        // Ahead of the search box's own Escape (clearing it): Escape closes the search.
        event.preventDefault();
        close();
      }}
    >
      <header className="search-header">
        <button type="button" className="back-button" aria-label="Close search" onClick={close}>
          ‹
        </button>
        <h2 id={titleId} className="visually-hidden">
          Search messages
        </h2>
        <SearchField input={input} onQuery={setQuery} />
        <button type="button" className="icon-button search-close" aria-label="Close search" onClick={close}>
          ×
        </button>
      </header>
      {props.conversationId && (
        <label className="search-scope">
          <input type="checkbox" checked={narrowed} onChange={(event) => setNarrowed(event.target.checked)} />
          Only in {titleOf(names, props.conversationId)}
        </label>
      )}
      <div className="search-body">
        <SearchState query={query} results={results} />
        <HitList results={results} names={names} input={input} focusFrom={focusFrom} onOpen={open} />
        <MoreResults results={results} focusFrom={focusFrom} />
      </div>
    </dialog>
  );
}

const ownEntry = () => Boolean(window.history.state?.palaverSearch);

/**
 * The browser's Back closes the search, as it would leave a screen (on a phone the panel
 * is one): opening pushes a history entry with the same address, Back pops it (`onBack`).
 * Closing it any other way takes the entry off again (`close`); opening a hit moves on to
 * the conversation's address instead.
 */
function useBackCloses(onBack: () => void): () => void {
  const latest = useRef(onBack);
  latest.current = onBack;
  useEffect(() => {
    // Once: a StrictMode remount finds its entry there.
    if (!ownEntry()) window.history.pushState({ palaverSearch: true }, '');
    const onPop = () => latest.current();
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  // Once: Escape can arrive both as a keydown and as the dialog's cancel.
  const closed = useRef(false);
  return () => {
    if (closed.current) return;
    closed.current = true;
    if (ownEntry()) window.history.back();
    onBack();
  };
}

const hitSelector = 'button.search-hit';

/**
 * The search box: Down goes to the first hit. While an input method composes (pinyin on its
 * way to 北京), the text shows but is not searched for until it is done.
 */
function SearchField(props: { input: RefObject<HTMLInputElement | null>; onQuery: (query: string) => void }) {
  const [text, setText] = useState('');
  const composing = useRef(false);
  return (
    <span className="search-field">
      <SearchIcon />
      <input
        ref={props.input}
        type="search"
        aria-label="Search messages"
        value={text}
        maxLength={maxSearchQueryLength}
        placeholder="Search messages"
        autoComplete="off"
        spellCheck={false}
        onChange={(event) => {
          setText(event.target.value);
          if (!composing.current) props.onQuery(event.target.value);
        }}
        onCompositionStart={() => {
          composing.current = true;
        }}
        onCompositionEnd={(event) => {
          composing.current = false;
          props.onQuery(event.currentTarget.value);
        }}
        onKeyDown={(event) => {
          if (event.key !== 'ArrowDown') return;
          const first = event.currentTarget.closest('dialog')?.querySelector<HTMLElement>(hitSelector);
          if (!first) return;
          event.preventDefault();
          first.focus();
        }}
      />
    </span>
  );
}

/**
 * The hits, a list of buttons. Up/Down, Home/End move among them, Up from the first goes
 * back to the box, and typing there goes on in the box.
 */
function HitList(props: {
  results: SearchResults;
  names: Names;
  input: RefObject<HTMLInputElement | null>;
  focusFrom: RefObject<number | null>;
  onOpen: (hit: SearchHit) => void;
}) {
  const list = useRef<HTMLUListElement>(null);
  const count = props.results.hits.length;
  const { focusFrom } = props;
  useEffect(() => {
    if (focusFrom.current === null || count <= focusFrom.current) return;
    list.current?.querySelectorAll<HTMLElement>(hitSelector)[focusFrom.current]?.focus();
    focusFrom.current = null;
  }, [count, focusFrom]);
  const onKeyDown = (event: KeyboardEvent<HTMLUListElement>) => {
    const hits = [...(list.current?.querySelectorAll<HTMLElement>(hitSelector) ?? [])];
    const index = hits.indexOf(document.activeElement as HTMLElement);
    if (index < 0) return;
    const last = hits.length - 1;
    const next = { ArrowDown: Math.min(index + 1, last), ArrowUp: index - 1, Home: 0, End: last }[event.key];
    if (next !== undefined) {
      event.preventDefault();
      (next < 0 ? props.input.current : hits[next])?.focus();
    } else if (event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) {
      props.input.current?.focus(); // the character lands in the box
    }
  };
  if (props.results.hits.length === 0) return null;
  return (
    <ul ref={list} className="search-results" aria-label="Messages found" onKeyDown={onKeyDown}>
      {props.results.hits.map((hit) => (
        <li key={hit.messageId}>
          <HitButton hit={hit} names={props.names} onOpen={() => props.onOpen(hit)} />
        </li>
      ))}
    </ul>
  );
}

/** One hit: where (conversation), who, when, and the words found in their context. */
function HitButton({ hit, names, onOpen }: { hit: SearchHit; names: Names; onOpen: () => void }) {
  const title = titleOf(names, hit.conversationId);
  const sender = hit.senderId === names.me ? 'You' : (names.users[hit.senderId]?.displayName ?? 'Someone');
  return (
    <button type="button" className="search-hit" data-message-id={hit.messageId} onClick={onOpen}>
      <Avatar name={title} />
      <span className="search-hit-text">
        <span className="search-hit-top">
          <span className="search-hit-title" dir="auto">
            {title}
          </span>
          <time className="search-hit-time" dateTime={hit.createdAt}>
            {listTime(hit.createdAt)}
          </time>
        </span>
        <span className="search-hit-line">
          <span className="search-hit-sender" dir="auto">
            {sender}:
          </span>{' '}
          <Snippet snippet={hit.snippet} />
        </span>
      </span>
    </button>
  );
}

/** The server's 400 codes for a query it will not run, as advice. */
export function queryHint(error: unknown): string | null {
  if (!(error instanceof ApiError)) return null;
  switch (error.code) {
    case 'query_too_short':
      return 'Type a longer word: words of one or two letters or digits only narrow a longer one.';
    case 'empty_query':
      return 'Type a word to look for: punctuation alone finds nothing.';
    case 'too_many_terms':
      return `Use at most ${maxSearchTerms} words.`;
    case 'invalid_request':
      return 'That search has characters that cannot be searched for.';
    default:
      return null;
  }
}

/** Idle, searching, how many found, nothing found, a hint, or a failure. */
function SearchState({
  query,
  results,
}: {
  query: string;
  results: SearchResults & { tooManyWords: boolean; retry: () => void };
}) {
  const hint = results.tooManyWords ? `Use at most ${maxSearchTerms} words.` : queryHint(results.error);
  if (hint)
    return (
      <p className="search-hint" role="status">
        {hint}
      </p>
    );
  if (results.status === 'error') {
    return (
      <div className="search-state" role="alert">
        <p>{describeError(results.error)}</p>
        <button type="button" onClick={results.retry}>
          Try again
        </button>
      </div>
    );
  }
  const text =
    results.status === 'idle'
      ? 'Find messages by words or parts of words, in any language.'
      : results.status === 'loading'
        ? 'Searching…'
        : results.hits.length === 0
          ? `No messages match “${query.trim()}”.`
          : `${results.hits.length}${results.nextCursor ? '+' : ''} ${results.hits.length === 1 ? 'message' : 'messages'} found`;
  return (
    <p
      className={results.status === 'ready' && results.hits.length > 0 ? 'search-count' : 'search-state'}
      role="status"
    >
      {text}
    </p>
  );
}

/** "Load more" while the server has a next page; its own failure is retried from the same button. */
function MoreResults({
  results,
  focusFrom,
}: {
  results: SearchResults & { loadMore: () => Promise<void> };
  focusFrom: RefObject<number | null>;
}) {
  if (!results.nextCursor || results.status !== 'ready') return null;
  return (
    <div className="search-more">
      {results.more === 'error' && <p className="inline-error">Could not load more.</p>}
      <button
        type="button"
        disabled={results.more === 'loading'}
        onClick={() => {
          focusFrom.current = results.hits.length;
          void results.loadMore();
        }}
      >
        {results.more === 'loading' ? 'Loading…' : results.more === 'error' ? 'Try again' : 'Load more'}
      </button>
    </div>
  );
}
