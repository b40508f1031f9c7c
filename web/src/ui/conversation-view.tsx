import type { AvatarRef, Message, Upload } from '@palaver/contracts';
import { type RefObject, useEffect, useRef, useState } from 'react';
import {
  type ChatState,
  type ConversationState,
  conversationTitle,
  otherMember,
  type Presence,
  typingUsers,
} from '../chat/chat-state.ts';
import { Avatar } from './avatar.tsx';
import type { ComposerHandle } from './composer.tsx';
import { ConversationComposer } from './conversation-composer.tsx';
import { lastSeen } from './format.ts';
import { SearchIcon } from './icons.tsx';
import { MessageList } from './message-list.tsx';
import { ReplyBar } from './message-quote.tsx';
import { ThreadPanel } from './thread-panel.tsx';
import { shallowEqual, useChatClient, useChatState } from './use-chat.ts';
import type { MessageFocus } from './use-message-focus.ts';
import { type Replies, useReplies } from './use-replies.ts';

/** What an open conversation shows, typing aside (the indicator selects that itself). */
const viewSlice = (conversationId: string) => (state: ChatState) => ({
  held: state.conversations[conversationId],
  listStatus: state.listStatus,
  me: state.me,
  users: state.users,
  presence: state.presence,
  blocked: state.blocked,
  pending: state.pending,
  online: state.connection === 'online',
});

/** One open conversation: header with presence, history, who is typing, the composer. */
export function ConversationView(props: {
  conversationId: string;
  seedLinks: (upload: Upload) => void;
  onBack: () => void;
  onShowMembers: () => void;
  onSearch: () => void;
  /** A search hit to scroll to. */
  focus?: MessageFocus | undefined;
}) {
  const { conversationId } = props;
  const state = useChatState(viewSlice(conversationId), shallowEqual);
  const { held } = state;
  const history = useHistory(conversationId, held);
  const unreadAfter = useUnreadAtOpen(held, state.me);
  useMarkRead(conversationId, held?.conversation.lastSeq ?? 0);
  const composer = useRef<ComposerHandle>(null);
  const replies = useReplies(conversationId, props.focus, composer);

  if (!held) return <ConversationMissing loading={state.listStatus !== 'ready'} onBack={props.onBack} />;
  const title = conversationTitle(held, state.me, state.users);
  const other = otherMember(held.conversation, state.me);
  const blocked = other !== undefined && state.blocked.includes(other);
  return (
    <section
      className={`conversation-view${replies.threadRoot !== null ? ' with-thread' : ''}`}
      aria-labelledby="conversation-title"
      onDragOver={(event) => event.preventDefault()}
      onDrop={(event) => {
        event.preventDefault();
        composer.current?.addFiles([...event.dataTransfer.files]);
      }}
    >
      <ConversationHeader
        held={held}
        title={title}
        other={other}
        avatar={other ? state.users[other]?.avatar : null}
        blocked={blocked}
        presence={other && !blocked ? state.presence[other] : undefined}
        onBack={props.onBack}
        onShowMembers={props.onShowMembers}
        onSearch={props.onSearch}
      />
      {history.historyError && <HistoryError onRetry={history.loadHistory} />}
      <ConversationMessages
        held={held}
        state={state}
        history={history}
        unreadAfter={unreadAfter}
        replies={replies}
      />
      <TypingIndicator conversationId={conversationId} />
      {blocked ? (
        <BlockedNote title={title} />
      ) : (
        <ReplyingComposer
          composer={composer}
          conversationId={conversationId}
          online={state.online}
          seedLinks={props.seedLinks}
          replyingTo={replies.replyingTo}
          onReplied={() => replies.setReplyingTo(null)}
          me={state.me}
          users={state.users}
        />
      )}
      {replies.threadRoot !== null && (
        <ThreadPanel
          key={replies.threadRoot}
          conversationId={conversationId}
          rootSeq={replies.threadRoot}
          seedLinks={props.seedLinks}
          onClose={replies.closeThread}
        />
      )}
    </section>
  );
}

function HistoryError({ onRetry }: { onRetry: () => void }) {
  return (
    <p className="inline-error" role="alert">
      Could not load messages.{' '}
      <button type="button" onClick={onRetry}>
        Try again
      </button>
    </p>
  );
}

function BlockedNote({ title }: { title: string }) {
  return (
    <p className="blocked-note" role="status">
      You blocked {title}. Unblock to send messages again.
    </p>
  );
}

/** Not known yet (a deep link opened before the list arrived, or during an outage), or gone. */
function ConversationMissing({ loading, onBack }: { loading: boolean; onBack: () => void }) {
  if (loading) {
    return (
      <section className="conversation-empty" role="status">
        <p>Loading the conversation…</p>
      </section>
    );
  }
  return (
    <section className="conversation-empty">
      <p>This conversation is not available. It may have been left or removed.</p>
      <button type="button" onClick={onBack}>
        Back to conversations
      </button>
    </section>
  );
}

type ViewState = ReturnType<ReturnType<typeof viewSlice>>;

/** The history of the open conversation, its actions going to the chat client. */
function ConversationMessages(props: {
  held: ConversationState;
  state: ViewState;
  history: ReturnType<typeof useHistory>;
  unreadAfter: number | null;
  replies: Replies;
}) {
  const { held, state, history, replies } = props;
  const client = useChatClient();
  const conversationId = held.conversation.id;
  return (
    <MessageList
      state={held}
      pending={state.pending.filter((item) => item.conversationId === conversationId)}
      me={state.me}
      users={state.users}
      loadingOlder={history.loadingOlder}
      unreadAfter={props.unreadAfter}
      focus={replies.focus}
      onLoadOlder={() => {
        if (!history.loadingOlder && !history.historyError) history.loadHistory();
      }}
      onEdit={(seq, body) => client.edit(conversationId, seq, body)}
      onDelete={(seq) => client.remove(conversationId, seq)}
      onReact={(seq, emoji) => client.toggleReaction(conversationId, seq, emoji)}
      onRetry={(id) => client.retry(id)}
      onDiscard={(id) => client.discard(id)}
      onReply={replies.reply}
      onOpenThread={replies.openThread}
      onJumpTo={replies.jumpTo}
      heldAt={(seq) => held.messages.find((message) => message.seq === seq)}
    />
  );
}

/** The conversation's composer, with the message being quoted (if any) above the field. */
function ReplyingComposer(props: {
  composer: RefObject<ComposerHandle | null>;
  conversationId: string;
  online: boolean;
  seedLinks: (upload: Upload) => void;
  replyingTo: Message | null;
  onReplied: () => void;
  me: string;
  users: ChatState['users'];
}) {
  const { replyingTo } = props;
  return (
    <ConversationComposer
      ref={props.composer}
      conversationId={props.conversationId}
      refs={replyingTo ? { replyToSeq: replyingTo.seq } : {}}
      onSent={props.onReplied}
      online={props.online}
      seedLinks={props.seedLinks}
      banner={
        replyingTo && (
          <ReplyBar message={replyingTo} me={props.me} users={props.users} onCancel={props.onReplied} />
        )
      }
    />
  );
}

/**
 * What I had read when the conversation opened (null: nothing was unread), kept for as long
 * as it stays open: reading it moves the mark at once, the "New messages" line stays put.
 */
function useUnreadAtOpen(held: ConversationState | undefined, me: string): number | null {
  const mark = useRef<number | null | undefined>(undefined);
  if (mark.current === undefined && held) {
    const read = held.conversation.members.find((member) => member.userId === me)?.lastReadSeq ?? 0;
    mark.current = held.conversation.lastSeq > read ? read : null;
  }
  return mark.current ?? null;
}

/** History: the newest page when the conversation opens, older ones on demand, and a failure. */
function useHistory(conversationId: string, held: ConversationState | undefined) {
  const client = useChatClient();
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [historyError, setHistoryError] = useState(false);

  const loadHistory = () => {
    setLoadingOlder(true);
    setHistoryError(false);
    client
      .loadHistory(conversationId)
      .catch(() => setHistoryError(true))
      .finally(() => setLoadingOlder(false));
  };

  // biome-ignore lint/correctness/useExhaustiveDependencies: load once per opened conversation
  useEffect(() => {
    if (held && !held.loaded) loadHistory();
  }, [conversationId, Boolean(held)]);

  return { loadingOlder, historyError, loadHistory };
}

/** Whatever is on screen while the page is visible counts as read. */
function useMarkRead(conversationId: string, lastSeq: number) {
  const client = useChatClient();
  useEffect(() => {
    const mark = () => {
      if (document.visibilityState === 'visible' && lastSeq > 0) client.markRead(conversationId);
    };
    mark();
    document.addEventListener('visibilitychange', mark);
    return () => document.removeEventListener('visibilitychange', mark);
  }, [client, conversationId, lastSeq]);
}

/** Title, presence (a direct chat) or member count (a group), and the conversation's toggles. */
function ConversationHeader(props: {
  held: ConversationState;
  title: string;
  /** The other person of a direct chat. */
  other: string | undefined;
  /** Theirs; groups have none. */
  avatar: AvatarRef | null | undefined;
  blocked: boolean;
  /** Not shown while blocked. */
  presence: Presence | undefined;
  onBack: () => void;
  onShowMembers: () => void;
  onSearch: () => void;
}) {
  const { held, title, other, blocked, presence } = props;
  const client = useChatClient();
  const conversationId = held.conversation.id;
  const subtitle = other ? presenceLine(presence) : `${held.conversation.members.length} members`;
  return (
    <header className="conversation-header">
      <button type="button" className="back-button" onClick={props.onBack} aria-label="Back to conversations">
        ‹
      </button>
      <Avatar
        name={title}
        avatar={props.avatar}
        online={presence ? presence.status === 'online' : undefined}
      />
      <div className="conversation-heading">
        <h2 id="conversation-title" tabIndex={-1}>
          {title}
        </h2>
        <p className="conversation-subtitle" data-testid="presence">
          {subtitle}
        </p>
      </div>
      <button
        type="button"
        className="icon-toggle header-search"
        aria-label="Search in this conversation"
        onClick={props.onSearch}
      >
        <SearchIcon />
      </button>
      <button
        type="button"
        className="header-toggle"
        aria-pressed={held.muted}
        title={held.muted ? 'Muted: unread still counts; only mentions notify' : 'Mute this conversation'}
        onClick={() => void client.setMuted(conversationId, !held.muted).catch(() => {})}
      >
        {held.muted ? 'Unmute' : 'Mute'}
      </button>
      {other && (
        <button
          type="button"
          className="header-toggle"
          aria-pressed={blocked}
          onClick={() => {
            if (
              blocked ||
              window.confirm(`Block ${title}? Neither of you can message the other, and presence stops.`)
            )
              void client.setBlocked(other, !blocked).catch(() => {});
          }}
        >
          {blocked ? 'Unblock' : 'Block'}
        </button>
      )}
      <button type="button" className="members-button" onClick={props.onShowMembers}>
        {held.conversation.type === 'group' ? 'Members' : 'Info'}
      </button>
    </header>
  );
}

function presenceLine(presence: Presence | undefined): string {
  if (presence?.status === 'online') return 'online';
  if (presence?.lastSeenAt) return lastSeen(presence.lastSeenAt);
  return presence ? 'offline' : '';
}

/** Who is typing: the only part of the view a typing event re-renders. */
export function TypingIndicator({ conversationId }: { conversationId: string }) {
  const typing = useChatState(
    (state) =>
      typingUsers(state, conversationId, Date.now()).map(
        (userId) => state.users[userId]?.displayName ?? 'Someone',
      ),
    shallowEqual,
  );
  return (
    <p className="typing-indicator" aria-live="polite">
      {typing.length === 1
        ? `${typing[0]} is typing…`
        : typing.length > 1
          ? `${typing.join(', ')} are typing…`
          : ''}
    </p>
  );
}
