import type { Conversation, ConversationSummary } from '@palaver/contracts';
import { retryBackoff } from './backoff.ts';
import type { ChatContext } from './chat-context.ts';
import { type ChatState, type ConversationState, fromSummary, mergeConversation } from './chat-state.ts';
import type { ChatStore } from './chat-store.ts';
import type { Outbox } from './outbox.ts';
import { ensureUsers } from './users.ts';

/**
 * The conversation list: loaded whole over HTTP (and again by itself, backing off, after a
 * failure), and kept current as conversations are created, changed, left or gone.
 */
export class Conversations {
  private readonly context: ChatContext;
  private readonly outbox: Outbox;
  /** Failed list loads in a row, for the list's own retry backoff. */
  private failures = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(context: ChatContext, outbox: Outbox) {
    this.context = context;
    this.outbox = outbox;
  }

  /** Loads the whole list; on failure tries again by itself, backing off, until it loads. */
  async load(): Promise<void> {
    clearTimeout(this.retryTimer);
    try {
      const summaries = await this.fetchAll();
      this.context.store.update((state) => {
        const conversations: Record<string, ConversationState> = {};
        for (const summary of summaries) {
          conversations[summary.id] = fromSummary(summary, state.conversations[summary.id]);
        }
        return { ...state, conversations, listStatus: 'ready' };
      });
      this.failures = 0;
      void ensureUsers(
        this.context,
        summaries.flatMap((summary) => summary.members.map((member) => member.userId)),
      );
    } catch {
      this.context.store.update((state) => ({
        ...state,
        listStatus: state.listStatus === 'ready' ? 'ready' : 'error',
      }));
      if (!this.context.stopped)
        this.retryTimer = setTimeout(() => void this.load(), retryBackoff(this.failures++));
    }
  }

  stop(): void {
    clearTimeout(this.retryTimer);
  }

  /** A conversation as the server now has it: new ones join the list, known ones merge. */
  upsert(conversation: Conversation): void {
    this.context.store.update((state) => {
      const held = state.conversations[conversation.id];
      const next: ConversationState = held
        ? { ...held, conversation: mergeConversation(held.conversation, conversation) }
        : {
            conversation,
            lastMessage: null,
            messages: [],
            loaded: false,
            hasOlder: true,
            muted: false,
            unreadMentions: 0,
            changeSeq: null,
          };
      return { ...state, conversations: { ...state.conversations, [conversation.id]: next } };
    });
    void ensureUsers(
      this.context,
      conversation.members.map((member) => member.userId),
    );
  }

  /** Left, removed from or gone: the conversation and its unsent messages go. */
  drop(conversationId: string): void {
    this.context.store.update((state) => {
      const { [conversationId]: _gone, ...conversations } = state.conversations;
      return {
        ...state,
        conversations,
        pending: state.pending.filter((pending) => pending.conversationId !== conversationId),
      };
    });
    this.outbox.save();
  }

  /** The list carries only our own receipt marks; one conversation's answer has everyone's. */
  async refreshMarks(conversationId: string): Promise<void> {
    try {
      this.upsert(await this.context.api.conversation(conversationId));
    } catch {
      // Offline or gone: live `message:status` events and the next reconnect catch up.
    }
  }

  private async fetchAll(): Promise<ConversationSummary[]> {
    const summaries: ConversationSummary[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.context.api.conversations(cursor);
      summaries.push(...page.conversations);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return summaries;
  }
}

/** Changes one held conversation; a conversation not held is left alone. */
export function updateConversation(
  store: ChatStore<ChatState>,
  conversationId: string,
  change: (state: ConversationState) => ConversationState,
): void {
  store.update((state) => {
    const held = state.conversations[conversationId];
    return held
      ? { ...state, conversations: { ...state.conversations, [conversationId]: change(held) } }
      : state;
  });
}
