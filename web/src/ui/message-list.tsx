import type { Attachment, Message, PublicUser } from '@palaver/contracts';
import { maxMessageBodyLength } from '@palaver/contracts/limits';
import { type KeyboardEvent, type ReactNode, useEffect, useLayoutEffect, useRef, useState } from 'react';
import {
  type ConversationState,
  type OwnMessageStatus,
  ownMessageStatus,
  type PendingMessage,
  systemText,
} from '../chat/chat-state.ts';
import { AttachmentView } from './attachment-view.tsx';
import { dayKey, dayLabel, timeOfDay } from './format.ts';
import { ClockIcon } from './icons.tsx';
import { MessageReactions, ReactionPicker } from './message-reactions.tsx';
import { MessageText } from './message-text.tsx';

export interface MessageListProps {
  state: ConversationState;
  pending: PendingMessage[];
  me: string;
  users: Record<string, PublicUser>;
  loadingOlder: boolean;
  onLoadOlder: () => void;
  onEdit: (seq: number, body: string) => Promise<void>;
  onDelete: (seq: number) => Promise<void>;
  onReact: (seq: number, emoji: string) => Promise<void>;
  onRetry: (clientMessageId: string) => void;
  onDiscard: (clientMessageId: string) => void;
}

/** One row of the list: a stored message, or one still in the outbox. */
interface Row {
  key: string;
  senderId: string;
  createdAt: string;
  message?: Message;
  pending?: PendingMessage;
}

/** Consecutive messages of one sender within this gap share a header. */
const groupGap = 5 * 60_000;

export function MessageList(props: MessageListProps) {
  const { state, pending, me, users } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const previous = useRef({ firstKey: '', lastKey: '', height: 0, top: 0 });

  const rows: Row[] = [
    ...state.messages.map((message) => ({
      key: `s${message.seq}`,
      senderId: message.senderId,
      createdAt: message.createdAt,
      message,
    })),
    ...pending.map((item) => ({
      key: `p${item.clientMessageId}`,
      senderId: me,
      createdAt: item.createdAt,
      pending: item,
    })),
  ];
  const firstKey = rows[0]?.key ?? '';
  const lastKey = rows.at(-1)?.key ?? '';

  // Older pages keep the view where it was; new messages follow when the reader is at the bottom.
  useLayoutEffect(() => {
    const element = scroller.current;
    if (!element) return;
    const before = previous.current;
    if (before.firstKey && firstKey !== before.firstKey && lastKey === before.lastKey) {
      element.scrollTop = before.top + (element.scrollHeight - before.height);
    } else if (lastKey !== before.lastKey) {
      const last = rows.at(-1);
      if (atBottom.current || last?.senderId === me || !before.lastKey)
        element.scrollTop = element.scrollHeight;
    }
    previous.current = { firstKey, lastKey, height: element.scrollHeight, top: element.scrollTop };
    // A first page shorter than the screen leaves nothing to scroll: fetch more straight away.
    if (
      state.hasOlder &&
      !props.loadingOlder &&
      element.scrollHeight <= element.clientHeight &&
      state.loaded
    ) {
      props.onLoadOlder();
    }
  });

  const onScroll = () => {
    const element = scroller.current;
    if (!element) return;
    atBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < 60;
    previous.current.top = element.scrollTop;
    if (element.scrollTop < 120 && state.hasOlder && !props.loadingOlder) props.onLoadOlder();
  };

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
        row={row}
        startsGroup={startsGroup}
        mine={row.senderId === me}
        senderName={row.senderId === me ? 'You' : (users[row.senderId]?.displayName ?? 'Someone')}
        status={
          row.pending
            ? row.pending.error
              ? 'failed'
              : 'pending'
            : ownMessageStatus(state, me, row.message?.seq ?? 0)
        }
        {...props}
      />,
    );
  }

  return (
    <div className="message-scroller" ref={scroller} onScroll={onScroll}>
      {state.hasOlder && state.loaded && (
        <div className="history-more">
          {props.loadingOlder ? (
            <p role="status">Loading earlier messages…</p>
          ) : (
            <button type="button" onClick={props.onLoadOlder}>
              Load earlier messages
            </button>
          )}
        </div>
      )}
      {!state.loaded ? (
        <p className="list-state" role="status">
          Loading messages…
        </p>
      ) : rows.length === 0 ? (
        <p className="list-state">No messages yet. Write the first one below.</p>
      ) : null}
      {/* The log around the list, not on it: a role on <ol> would hide that it is a list. */}
      <div role="log" aria-label="Messages" aria-live="polite">
        <ol className="message-list">{items}</ol>
      </div>
    </div>
  );
}

const statusLabels: Record<OwnMessageStatus, string> = {
  pending: 'Sending',
  failed: 'Not sent',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
};
const statusMarks: Record<OwnMessageStatus, ReactNode> = {
  pending: <ClockIcon />,
  failed: '⚠',
  sent: '✓',
  delivered: '✓✓',
  read: '✓✓',
};

interface MessageRowProps extends MessageListProps {
  row: Row;
  startsGroup: boolean;
  mine: boolean;
  senderName: string;
  status: OwnMessageStatus;
}

function MessageRow({
  row,
  startsGroup,
  mine,
  senderName,
  status,
  me,
  users,
  onEdit,
  onDelete,
  onReact,
  onRetry,
  onDiscard,
}: MessageRowProps) {
  const [editing, setEditing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const message = row.message;
  const body = message ? message.body : (row.pending?.body ?? null);
  const attachments: Attachment[] = message ? message.attachments : (row.pending?.attachments ?? []);
  const deleted = Boolean(message?.deletedAt);
  const mentionsMe = Boolean(message?.mentions.includes(me));
  const mentioned = (message?.mentions ?? []).flatMap((id) => (users[id] ? [users[id].username] : []));

  const act = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      setEditing(false);
    } catch {
      setError('That did not work. Check your connection and try again.');
    } finally {
      setBusy(false);
    }
  };

  return (
    <li
      className={`message${mine ? ' mine' : ''}${startsGroup ? ' group-start' : ''}${mentionsMe ? ' mentions-me' : ''}`}
      data-seq={message?.seq}
      data-status={mine ? status : undefined}
    >
      {startsGroup && <div className="message-sender">{senderName}</div>}
      <div className="bubble">
        {deleted ? (
          <p className="message-deleted">This message was deleted</p>
        ) : editing && message ? (
          <EditForm
            initial={message.body ?? ''}
            busy={busy}
            onCancel={() => setEditing(false)}
            onSave={(text) => act(() => onEdit(message.seq, text))}
          />
        ) : (
          <>
            {attachments.length > 0 && (
              <div className="attachments">
                {attachments.map((attachment) => (
                  <AttachmentView key={attachment.uploadId} attachment={attachment} />
                ))}
              </div>
            )}
            {body && (
              <p className="message-body" dir="auto">
                <MessageText text={body} mentioned={mentioned} myUsername={users[me]?.username} />
              </p>
            )}
          </>
        )}
        <div className="message-meta">
          {message?.editedAt && !deleted && <span className="edited">edited</span>}
          <time dateTime={row.createdAt}>{timeOfDay(row.createdAt)}</time>
          {mine && !deleted && (
            <span
              className={`status status-${status}`}
              role="img"
              aria-label={statusLabels[status]}
              title={statusLabels[status]}
            >
              {statusMarks[status]}
            </span>
          )}
        </div>
      </div>
      {message && !deleted && (
        <MessageReactions
          message={message}
          me={me}
          users={users}
          onToggle={(emoji) => void act(() => onReact(message.seq, emoji))}
        />
      )}
      {error && (
        <p className="message-error" role="alert">
          {error}
        </p>
      )}
      {row.pending?.error && (
        <p className="message-error" role="alert">
          {row.pending.error}{' '}
          <button type="button" onClick={() => onRetry(row.pending?.clientMessageId ?? '')}>
            Retry
          </button>{' '}
          <button type="button" onClick={() => onDiscard(row.pending?.clientMessageId ?? '')}>
            Discard
          </button>
        </p>
      )}
      {message && message.kind !== 'system' && !deleted && !editing && (
        <div className="message-actions">
          <ReactionPicker disabled={busy} onPick={(emoji) => void act(() => onReact(message.seq, emoji))} />
          {mine && message.body !== null && (
            <button type="button" disabled={busy} onClick={() => setEditing(true)} aria-label="Edit message">
              Edit
            </button>
          )}
          {mine && (
            <button
              type="button"
              disabled={busy}
              aria-label="Delete message"
              onClick={() => {
                if (window.confirm('Delete this message for everyone?'))
                  void act(() => onDelete(message.seq));
              }}
            >
              Delete
            </button>
          )}
        </div>
      )}
    </li>
  );
}

function EditForm(props: {
  initial: string;
  busy: boolean;
  onSave: (text: string) => void;
  onCancel: () => void;
}) {
  const [text, setText] = useState(props.initial);
  const field = useRef<HTMLTextAreaElement>(null);
  useEffect(() => field.current?.focus(), []);
  const save = () => {
    if (text.trim() && text.trim() !== props.initial) props.onSave(text);
    else props.onCancel();
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Escape') props.onCancel();
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      save();
    }
  };
  return (
    <form
      className="edit-form"
      onSubmit={(event) => {
        event.preventDefault();
        save();
      }}
    >
      <textarea
        aria-label="Edit message"
        value={text}
        maxLength={maxMessageBodyLength}
        onChange={(event) => setText(event.target.value)}
        onKeyDown={onKeyDown}
        ref={field}
      />
      <div className="edit-actions">
        <button type="submit" disabled={props.busy}>
          Save
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
