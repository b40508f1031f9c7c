import type { Attachment, Message, PublicUser } from '@palaver/contracts';
import { type ReactNode, type RefObject, useEffect, useRef, useState } from 'react';
import {
  type ConversationState,
  type OwnMessageStatus,
  ownMessageStatus,
  type PendingMessage,
} from '../chat/chat-state.ts';
import { AttachmentView } from './attachment-view.tsx';
import { Avatar } from './avatar.tsx';
import { EditForm } from './edit-form.tsx';
import { timeOfDay } from './format.ts';
import { ClockIcon } from './icons.tsx';
import { MessageActions, useActionMenu } from './message-actions.tsx';
import { currentQuote, MessageQuote } from './message-quote.tsx';
import { MessageReactions } from './message-reactions.tsx';
import { MessageText } from './message-text.tsx';
import { InThreadLink, ThreadSummaryButton } from './thread-summary.tsx';
import { useAsyncAction } from './use-async-action.ts';
import { useLongPress } from './use-long-press.ts';

/** One row of the list: a stored message, or one still in the outbox. */
export interface Row {
  key: string;
  senderId: string;
  createdAt: string;
  message?: Message;
  pending?: PendingMessage;
}

/** The rows of stored messages, then those of my messages still in the outbox. */
export function messageRows(messages: Message[], pending: PendingMessage[], me: string): Row[] {
  return [
    ...messages.map((message) => ({
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
}

/** Where a message of mine is: still in the outbox (or failed there), or how far the others got. */
export function rowStatus(row: Row, held: ConversationState | undefined, me: string): OwnMessageStatus {
  if (row.pending) return row.pending.error ? 'failed' : 'pending';
  return held ? ownMessageStatus(held, me, row.message?.seq ?? 0) : 'sent';
}

/** What a row can ask of the conversation. */
export interface RowActions {
  onEdit: (seq: number, body: string) => Promise<void>;
  onDelete: (seq: number) => Promise<void>;
  onReact: (seq: number, emoji: string) => Promise<void>;
  onRetry: (clientMessageId: string) => void;
  onDiscard: (clientMessageId: string) => void;
  /** Quote this message in the composer. */
  onReply?: ((message: Message) => void) | undefined;
  /** Open the thread of the root at this seq. */
  onOpenThread?: ((rootSeq: number) => void) | undefined;
  /** Go to the message at this seq (a quote's original). */
  onJumpTo?: ((seq: number) => void) | undefined;
  /** The held message at a seq: quotes show their original as it is now. */
  heldAt?: ((seq: number) => Message | undefined) | undefined;
}

interface MessageRowProps extends RowActions {
  row: Row;
  startsGroup: boolean;
  status: OwnMessageStatus;
  me: string;
  users: Record<string, PublicUser>;
  /** Shown in a thread's panel: no way into a thread from there. */
  inThread?: boolean;
}

export function MessageRow(props: MessageRowProps) {
  const { row, startsGroup, me, users } = props;
  const message = row.message;
  const mine = row.senderId === me;
  const senderName = mine ? 'You' : (users[row.senderId]?.displayName ?? 'Someone');
  const deleted = Boolean(message?.deletedAt);
  const menu = useActionMenu();
  const [editing, setEditing] = useEditing(menu.trigger);
  const action = useRowAction(() => setEditing(false));
  const actionable = message !== undefined && message.kind !== 'system' && !deleted && !editing;
  const longPress = useLongPress(() => actionable && !action.busy && menu.open());
  const react = (emoji: string) => message && void action.run(() => props.onReact(message.seq, emoji));
  const mentionsMe = Boolean(message?.mentions.includes(me));
  return (
    <li
      className={`message${mine ? ' mine' : ''}${startsGroup ? ' group-start' : ''}${mentionsMe ? ' mentions-me' : ''}`}
      data-seq={message?.seq}
      data-status={mine ? props.status : undefined}
    >
      {startsGroup && (
        <div className="message-sender">
          {!mine && <Avatar name={senderName} avatar={users[row.senderId]?.avatar} small />}
          <span>{senderName}</span>
        </div>
      )}
      <div className="bubble-row">
        <div className="bubble" {...longPress}>
          {editing && message ? (
            <EditForm
              initial={message.body ?? ''}
              busy={action.busy}
              onCancel={() => setEditing(false)}
              onSave={(text) => void action.run(() => props.onEdit(message.seq, text))}
            />
          ) : (
            <MessageContent {...props} />
          )}
          <MessageMeta row={row} mine={mine} status={props.status} />
        </div>
        {actionable && (
          <MessageActions
            menu={menu}
            mine={mine}
            canEdit={message.body !== null}
            busy={action.busy}
            onReact={react}
            onReply={props.onReply && (() => props.onReply?.(message))}
            onReplyInThread={
              props.onOpenThread && !props.inThread
                ? () => props.onOpenThread?.(message.threadRootSeq ?? message.seq)
                : undefined
            }
            onEdit={() => setEditing(true)}
            onDelete={() => {
              if (window.confirm('Delete this message for everyone?'))
                void action.run(() => props.onDelete(message.seq));
            }}
          />
        )}
      </div>
      {message && !deleted && <MessageReactions message={message} me={me} users={users} onToggle={react} />}
      {message?.thread && !props.inThread && props.onOpenThread && (
        <ThreadSummaryButton
          thread={message.thread}
          users={users}
          onOpen={() => props.onOpenThread?.(message.seq)}
        />
      )}
      {action.error && (
        <p className="message-error" role="alert">
          {action.error}
        </p>
      )}
      {row.pending?.error && (
        <PendingError pending={row.pending} onRetry={props.onRetry} onDiscard={props.onDiscard} />
      )}
    </li>
  );
}

/** Editing in place; when it ends, focus returns to the message's "More actions" button. */
function useEditing(trigger: RefObject<HTMLButtonElement | null>) {
  const [editing, setEditing] = useState(false);
  const wasEditing = useRef(false);
  useEffect(() => {
    if (wasEditing.current && !editing) trigger.current?.focus();
    wasEditing.current = editing;
  }, [editing, trigger]);
  return [editing, setEditing] as const;
}

/** Runs an edit, deletion or reaction, then `onDone`: busy meanwhile, an error line if it fails. */
function useRowAction(onDone: () => void) {
  const action = useAsyncAction(() => 'That did not work. Check your connection and try again.');
  const run = (change: () => Promise<void>) =>
    action.run(async () => {
      await change();
      onDone();
    });
  return { busy: action.busy, error: action.error, run };
}

function MessageContent(props: MessageRowProps) {
  const { row, me, users } = props;
  const message = row.message;
  if (message?.deletedAt) return <p className="message-deleted">This message was deleted</p>;
  const threadRootSeq = message?.threadRootSeq ?? row.pending?.threadRootSeq;
  const body = message ? message.body : (row.pending?.body ?? null);
  const attachments: Attachment[] = message ? message.attachments : (row.pending?.attachments ?? []);
  const mentioned = (message?.mentions ?? []).flatMap((id) => (users[id] ? [users[id].username] : []));
  return (
    <>
      {threadRootSeq && !props.inThread && props.onOpenThread && (
        <InThreadLink onOpen={() => props.onOpenThread?.(threadRootSeq)} />
      )}
      {message?.replyTo && (
        <MessageQuote
          quote={currentQuote(message.replyTo, props.heldAt?.(message.replyTo.seq))}
          me={me}
          users={users}
          onJump={props.onJumpTo}
        />
      )}
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

function MessageMeta({ row, mine, status }: { row: Row; mine: boolean; status: OwnMessageStatus }) {
  const deleted = Boolean(row.message?.deletedAt);
  return (
    <div className="message-meta">
      {row.message?.editedAt && !deleted && <span className="edited">edited</span>}
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
  );
}

function PendingError(props: { pending: PendingMessage } & Pick<RowActions, 'onRetry' | 'onDiscard'>) {
  const { pending } = props;
  return (
    <p className="message-error" role="alert">
      {pending.error}{' '}
      <button type="button" onClick={() => props.onRetry(pending.clientMessageId)}>
        Retry
      </button>{' '}
      <button type="button" onClick={() => props.onDiscard(pending.clientMessageId)}>
        Discard
      </button>
    </p>
  );
}
