import { useEffect, useState } from 'react';
import { shallowEqual, useChatClient, useChatState } from './use-chat.ts';

/** Whom I blocked, each with Unblock: the one place to undo a block besides its direct chat. */
export function BlockedPeople() {
  const client = useChatClient();
  const { blocked, users } = useChatState(
    (state) => ({ blocked: state.blocked, users: state.users }),
    shallowEqual,
  );
  const [failed, setFailed] = useState<string | null>(null);
  useEffect(() => void client.ensureUsers(blocked).catch(() => {}), [client, blocked]);
  if (blocked.length === 0) return null;
  return (
    <section className="blocked-people" aria-labelledby="blocked-people-title">
      <h3 id="blocked-people-title">Blocked people</h3>
      <ul>
        {blocked.map((userId) => {
          const name = users[userId]?.displayName ?? 'Someone';
          return (
            <li key={userId}>
              <span>{name}</span>
              <button
                type="button"
                aria-label={`Unblock ${name}`}
                onClick={() => {
                  setFailed(null);
                  client.setBlocked(userId, false).catch(() => setFailed(name));
                }}
              >
                Unblock
              </button>
            </li>
          );
        })}
      </ul>
      {failed && (
        <p className="form-error" role="alert">
          Could not unblock {failed}. Check your connection and try again.
        </p>
      )}
    </section>
  );
}
