import type { PublicUser } from '@palaver/contracts';
import type { ReactNode } from 'react';
import { type ConversationState, type PendingMessage, systemText } from '../chat/chat-state.ts';
import { dayKey, dayLabel } from './format.ts';
import { MessageRow, messageRows, type Row, type RowActions, rowStatus } from './message-row.tsx';
import { type MessageFocus, useMessageFocus } from './use-message-focus.ts';
import { unreadDividerClass, useMessageScroll } from './use-message-scroll.ts';

export interface MessageListProps extends RowActions {
  state: ConversationState;
  pending: PendingMessage[];
  me: string;
  users: Record<string, PublicUser>;
  loadingOlder: boolean;
  onLoadOlder: () => void;
  /**
   * What I had read when the conversation opened: a "New messages" line goes above the first
   * message after it, and the list opens there. Null or absent: nothing was unread.
   */
  unreadAfter?: number | null;
  /** A message to scroll to and mark (a search hit). */
  focus?: MessageFocus | undefined;
}

/** Consecutive messages of one sender within this gap share a header. */
const groupGap = 5 * 60_000;

export function MessageList(props: MessageListProps) {
  const { state, pending, me } = props;
  const rows = messageRows(state.messages, pending, me);
  const scroll = useMessageScroll({
    rows,
    me,
    state,
    loadingOlder: props.loadingOlder,
    onLoadOlder: props.onLoadOlder,
  });
  useMessageFocus(scroll.scroller, props.focus, state);
  return (
    <div className="message-pane">
      <div className="message-scroller" ref={scroll.scroller} onScroll={scroll.onScroll}>
        <HistoryMore state={state} loadingOlder={props.loadingOlder} onLoadOlder={props.onLoadOlder} />
        {!state.loaded ? (
          <p className="list-state" role="status">
            Loading messages…
          </p>
        ) : rows.length === 0 ? (
          <p className="list-state">No messages yet. Write the first one below.</p>
        ) : null}
        {/* The log around the list, not on it: a role on <ol> would hide that it is a list. */}
        <div role="log" aria-label="Messages" aria-live="polite">
          <ol className="message-list">{listItems(rows, props)}</ol>
        </div>
      </div>
      {scroll.newCount > 0 && <JumpToLatest count={scroll.newCount} onJump={scroll.jumpToLatest} />}
    </div>
  );
}

/** Day headings, system lines, the "New messages" line and the messages, in order. */
function listItems(rows: Row[], props: MessageListProps): ReactNode[] {
  const { state, me, users, unreadAfter } = props;
  const firstUnread =
    unreadAfter == null
      ? undefined
      : rows.find((row) => (row.message?.seq ?? 0) > unreadAfter && row.senderId !== me);
  const items: ReactNode[] = [];
  let day = '';
  let group: { senderId: string; at: number } | null = null;
  for (const row of rows) {
    const rowDay = dayKey(row.createdAt);
    if (rowDay !== day) {
      day = rowDay;
      group = null;
      items.push(
        <li key={`d${rowDay}`} className="day-separator">
          <h3>{dayLabel(row.createdAt)}</h3>
        </li>,
      );
    }
    if (row === firstUnread) {
      group = null;
      items.push(
        <li key="unread" className={unreadDividerClass}>
          <span>New messages</span>
        </li>,
      );
    }
    if (row.message?.kind === 'system') {
      group = null;
      items.push(
        <li key={row.key} className="system-message">
          {systemText(row.message, me, users)}
        </li>,
      );
      continue;
    }
    const at = Date.parse(row.createdAt);
    const startsGroup = !group || group.senderId !== row.senderId || at - group.at > groupGap;
    group = { senderId: row.senderId, at };
    items.push(
      <MessageRow
        key={row.key}
        {...actionsOf(props)}
        me={me}
        users={users}
        row={row}
        startsGroup={startsGroup}
        status={rowStatus(row, state, me)}
      />,
    );
  }
  return items;
}

export const actionsOf = (actions: RowActions): RowActions => ({
  onEdit: actions.onEdit,
  onDelete: actions.onDelete,
  onReact: actions.onReact,
  onRetry: actions.onRetry,
  onDiscard: actions.onDiscard,
  onReply: actions.onReply,
  onOpenThread: actions.onOpenThread,
  onJumpTo: actions.onJumpTo,
  heldAt: actions.heldAt,
});

function HistoryMore(props: { state: ConversationState; loadingOlder: boolean; onLoadOlder: () => void }) {
  if (!props.state.hasOlder || !props.state.loaded) return null;
  return (
    <div className="history-more">
      {props.loadingOlder ? (
        <p role="status">Loading earlier messages…</p>
      ) : (
        <button type="button" onClick={props.onLoadOlder}>
          Load earlier messages
        </button>
      )}
    </div>
  );
}

/** "↓ 3 new": messages came while the reader was scrolled up; a click goes to the newest. */
function JumpToLatest({ count, onJump }: { count: number; onJump: () => void }) {
  return (
    <button type="button" className="jump-to-latest" onClick={onJump}>
      <span aria-hidden="true">↓ </span>
      {`${count} new `}
      <span className="visually-hidden">{count === 1 ? 'message' : 'messages'}, jump to the latest</span>
    </button>
  );
}
