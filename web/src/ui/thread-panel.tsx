import type { Message, ThreadPage, Upload } from '@palaver/contracts';
import { useEffect, useRef, useState } from 'react';
import type { ChatState } from '../chat/chat-state.ts';
import { ConversationComposer } from './conversation-composer.tsx';
import { MessageRow, messageRows, rowStatus } from './message-row.tsx';
import { shallowEqual, useChatClient, useChatState } from './use-chat.ts';

const panelSlice = (conversationId: string) => (state: ChatState) => ({
  held: state.conversations[conversationId],
  pending: state.pending,
  me: state.me,
  users: state.users,
  online: state.connection === 'online',
});

/**
 * The thread page from the server, with what arrived since: replies come to the conversation
 * like any message (`threadRootSeq`), so the held ones are the freshest copies.
 */
function threadMessages(page: ThreadPage | null, held: Message[], rootSeq: number) {
  const bySeq = new Map<number, Message>();
  for (const reply of page?.replies ?? []) bySeq.set(reply.seq, reply);
  for (const message of held) if (message.threadRootSeq === rootSeq) bySeq.set(message.seq, message);
  const root = held.find((message) => message.seq === rootSeq) ?? page?.root;
  return { root, replies: [...bySeq.values()].sort((a, b) => a.seq - b.seq) };
}

/** The latest page of a thread when it opens, earlier ones on demand. */
function useThreadPage(conversationId: string, rootSeq: number) {
  const client = useChatClient();
  const [page, setPage] = useState<ThreadPage | null>(null);
  const [status, setStatus] = useState<'loading' | 'ready' | 'failed'>('loading');
  const load = (before?: number) => {
    setStatus('loading');
    client
      .loadThread(conversationId, rootSeq, before)
      .then((next) => {
        setPage((previous) =>
          before && previous ? { ...next, replies: [...next.replies, ...previous.replies] } : next,
        );
        setStatus('ready');
      })
      .catch(() => setStatus('failed'));
  };
  // biome-ignore lint/correctness/useExhaustiveDependencies: load once per opened thread
  useEffect(() => {
    setPage(null);
    load();
  }, [conversationId, rootSeq]);
  return { page, status, load };
}

type PanelState = ReturnType<ReturnType<typeof panelSlice>>;

/**
 * One thread beside the conversation (over it on a phone): the root, its replies oldest
 * first with earlier pages on demand, and a composer that posts in the thread.
 */
export function ThreadPanel(props: {
  conversationId: string;
  rootSeq: number;
  seedLinks: (upload: Upload) => void;
  onClose: () => void;
}) {
  const { conversationId, rootSeq } = props;
  const state = useChatState(panelSlice(conversationId), shallowEqual);
  const thread = useThreadPage(conversationId, rootSeq);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const { root, replies } = threadMessages(thread.page, state.held?.messages ?? [], rootSeq);
  return (
    <aside
      className="thread-panel"
      aria-labelledby="thread-title"
      onKeyDown={(event) => {
        if (event.key === 'Escape') props.onClose();
      }}
    >
      <header className="thread-header">
        <h2 id="thread-title" ref={heading} tabIndex={-1}>
          Thread
        </h2>
        <button type="button" className="icon-button" aria-label="Close the thread" onClick={props.onClose}>
          ×
        </button>
      </header>
      <div className="thread-scroller">
        {thread.status === 'failed' && (
          <p className="inline-error" role="alert">
            Could not load the thread.{' '}
            <button type="button" onClick={() => thread.load()}>
              Try again
            </button>
          </p>
        )}
        {thread.page?.hasMore && (
          <div className="history-more">
            <button
              type="button"
              disabled={thread.status === 'loading'}
              onClick={() => thread.load(thread.page?.from)}
            >
              Load earlier replies
            </button>
          </div>
        )}
        <ThreadMessages
          state={state}
          conversationId={conversationId}
          rootSeq={rootSeq}
          messages={root ? [root, ...replies] : replies}
        />
        {thread.status === 'ready' && replies.length === 0 && <p className="list-state">No replies yet.</p>}
      </div>
      <ConversationComposer
        conversationId={conversationId}
        refs={{ threadRootSeq: rootSeq }}
        online={state.online}
        label="Reply in thread"
        seedLinks={props.seedLinks}
      />
    </aside>
  );
}

/** The root and the replies, then my replies still on their way. */
function ThreadMessages(props: {
  state: PanelState;
  conversationId: string;
  rootSeq: number;
  messages: Message[];
}) {
  const { state, conversationId } = props;
  const client = useChatClient();
  const pending = state.pending.filter(
    (item) => item.conversationId === conversationId && item.threadRootSeq === props.rootSeq,
  );
  const rows = messageRows(props.messages, pending, state.me);
  const hasRoot = props.messages[0]?.seq === props.rootSeq;
  const replyCount = props.messages.length - (hasRoot ? 1 : 0);
  return (
    <ol className="message-list" aria-label="Thread messages">
      {rows.map((row, i) => [
        hasRoot && i === 1 && (
          <li key="replies" className="thread-divider">
            {replyCount === 1 ? '1 reply' : `${replyCount} replies`}
          </li>
        ),
        <MessageRow
          key={row.key}
          row={row}
          inThread
          // The root stands apart from its replies.
          startsGroup={i <= 1 || rows[i - 1]?.senderId !== row.senderId}
          status={rowStatus(row, state.held, state.me)}
          me={state.me}
          users={state.users}
          onEdit={(seq, body) => client.edit(conversationId, seq, body)}
          onDelete={(seq) => client.remove(conversationId, seq)}
          onReact={(seq, emoji) => client.toggleReaction(conversationId, seq, emoji)}
          onRetry={(id) => client.retry(id)}
          onDiscard={(id) => client.discard(id)}
        />,
      ])}
    </ol>
  );
}
