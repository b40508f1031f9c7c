import type { PublicUser } from '@palaver/contracts';
import { useEffect, useId, useState } from 'react';
import { describeError } from '../api/api-error.ts';
import type { PalaverApi } from '../api/palaver-api.ts';
import { Avatar } from './avatar.tsx';

/** Search people by username or display name; `onPick` gets the one chosen. */
export function UserSearch(props: {
  api: PalaverApi;
  me: string;
  exclude?: string[];
  label: string;
  onPick: (user: PublicUser) => void;
}) {
  const { api, me, exclude = [], label, onPick } = props;
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<PublicUser[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const inputId = useId();

  useEffect(() => {
    const q = query.trim();
    if (!q) {
      setResults(null);
      return;
    }
    let live = true;
    // Wait for a pause in typing before asking the server.
    const timer = setTimeout(() => {
      api.searchUsers(q).then(
        (page) => {
          if (!live) return;
          setResults(page.users);
          setError(null);
        },
        (failure) => live && setError(describeError(failure)),
      );
    }, 200);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [api, query]);

  const shown = (results ?? []).filter((user) => user.id !== me && !exclude.includes(user.id));
  return (
    <div className="user-search">
      <label htmlFor={inputId}>{label}</label>
      <input
        id={inputId}
        type="search"
        value={query}
        placeholder="Username or name"
        autoComplete="off"
        onChange={(event) => setQuery(event.target.value)}
      />
      {error && <p role="alert">{error}</p>}
      {results && shown.length === 0 && <p className="hint">Nobody found. Check the spelling.</p>}
      {shown.length > 0 && (
        <ul className="user-results" aria-label="People found">
          {shown.map((user) => (
            <li key={user.id}>
              <button type="button" onClick={() => onPick(user)}>
                <Avatar name={user.displayName} avatar={user.avatar} small />
                <span className="user-name">{user.displayName}</span>{' '}
                <span className="user-handle">@{user.username}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
