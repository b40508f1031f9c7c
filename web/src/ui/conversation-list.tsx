import type { PublicUser } from '@palaver/contracts';
import {
  type ConversationState,
  conversationTitle,
  otherMember,
  type Presence,
  previewText,
  unreadCount,
} from '../chat/chat-state.ts';
import { Avatar } from './avatar.tsx';
import { listTime } from './format.ts';

export interface ConversationListProps {
  /** Already ordered by activity. */
  conversations: ConversationState[];
  status: 'loading' | 'ready' | 'error';
  me: string;
  users: Record<string, PublicUser>;
  presence: Record<string, Presence>;
  selectedId: string | null;
  onSelect: (conversationId: string) => void;
  onRetry: () => void;
}

export function ConversationList(props: ConversationListProps) {
  const { conversations, status, me, users, presence, selectedId, onSelect } = props;
  if (status === 'loading' && conversations.length === 0) {
    return (
      <p className="list-state" role="status">
        Loading conversations…
      </p>
    );
  }
  if (status === 'error' && conversations.length === 0) {
    return (
      <div className="list-state" role="alert">
        <p>Could not load your conversations.</p>
        <button type="button" onClick={props.onRetry}>
          Try again
        </button>
      </div>
    );
  }
  if (conversations.length === 0) {
    return <p className="list-state">No conversations yet. Use “New chat” to find someone and say hello.</p>;
  }
  return (
    <ul className="conversation-list">
      {conversations.map((state) => (
        <li key={state.conversation.id}>
          <ConversationRow
            state={state}
            me={me}
            users={users}
            presence={presence}
            selected={state.conversation.id === selectedId}
            onSelect={onSelect}
          />
        </li>
      ))}
    </ul>
  );
}

/** One conversation: avatar and presence, title, time, the last message, mute, mentions, unread. */
function ConversationRow(props: {
  state: ConversationState;
  me: string;
  users: Record<string, PublicUser>;
  presence: Record<string, Presence>;
  selected: boolean;
  onSelect: (conversationId: string) => void;
}) {
  const { state, me, users, selected } = props;
  const { conversation } = state;
  const title = conversationTitle(state, me, users);
  const other = otherMember(conversation, me);
  // No dot until the gateway has told us (it announces contacts on connect).
  const known = other ? props.presence[other] : undefined;
  const online = known ? known.status === 'online' : undefined;
  const at = conversation.lastMessageAt ?? conversation.createdAt;
  return (
    <button
      type="button"
      className="conversation-item"
      data-conversation-id={conversation.id}
      aria-current={selected ? 'true' : undefined}
      onClick={() => props.onSelect(conversation.id)}
    >
      <Avatar name={title} avatar={other ? users[other]?.avatar : null} online={online} />
      <span className="conversation-text">
        <span className="conversation-top">
          <span className="conversation-title" dir="auto">
            {title}
            {/* Read out with the rest of the row: the dot alone says nothing to a screen reader. */}
            {online !== undefined && <span className="visually-hidden">{online ? 'online' : 'offline'}</span>}
          </span>
          <time className="conversation-time" dateTime={at}>
            {listTime(at)}
          </time>
        </span>
        <span className="conversation-bottom">
          <span className="conversation-preview" dir="auto">
            {previewText(state.lastMessage, me, users, conversation.type === 'group')}
          </span>
          <RowMarks state={state} unread={selected ? 0 : unreadCount(state, me)} />
        </span>
      </span>
    </button>
  );
}

/** Muted, mentions me, and how many are unread. */
function RowMarks({ state, unread }: { state: ConversationState; unread: number }) {
  return (
    <>
      {state.muted && (
        <span className="muted-mark" title="Muted" role="img" aria-label="muted">
          🔕
        </span>
      )}
      {unread > 0 && state.unreadMentions > 0 && (
        <span className="mention-badge" title="Mentions you">
          @<span className="visually-hidden"> {state.unreadMentions} mentioning you</span>
        </span>
      )}
      {unread > 0 && (
        <span className={`unread-badge${state.muted ? ' muted' : ''}`} data-testid="unread-badge">
          {unread > 99 ? '99+' : unread}
          <span className="visually-hidden"> unread</span>
        </span>
      )}
    </>
  );
}
