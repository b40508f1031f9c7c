import type { Message, ServerEventPayload, ThreadPage } from '@palaver/contracts';
import { pageLimits } from '@palaver/contracts/limits';
import { type ChatContext, myId } from './chat-context.ts';
import {
  changedWithinHeld,
  lastHeldSeq,
  type ReactionChange,
  withChangeCursor,
  withMessages,
  withReaction,
  withThread,
} from './chat-state.ts';
import { type Conversations, updateConversation } from './conversations.ts';
import type { Outbox } from './outbox.ts';
import { acknowledgeDelivery } from './receipts.ts';
import { ensureUsers } from './users.ts';

/**
 * Messages of held conversations: history pages as a conversation opens and scrolls up,
 * gaps filled forward from the held tail, and every message that arrives (live, from an
 * ack, from `sync`) merged in, settling its pending copy.
 */
export class Messages {
  private readonly context: ChatContext;
  private readonly conversations: Conversations;
  private readonly outbox: Outbox;
  private readonly loadingHistory = new Map<string, Promise<void>>();
  private readonly fillingGap = new Set<string>();

  constructor(context: ChatContext, conversations: Conversations, outbox: Outbox) {
    this.context = context;
    this.conversations = conversations;
    this.outbox = outbox;
  }

  /**
   * The newest page when a conversation opens; older pages as the person scrolls up. A call
   * while one is on its way joins it, so whoever awaits it sees that page held.
   */
  loadHistory(conversationId: string, limit?: number): Promise<void> {
    const running = this.loadingHistory.get(conversationId);
    if (running) return running;
    const loading = this.loadPage(conversationId, limit).finally(() =>
      this.loadingHistory.delete(conversationId),
    );
    this.loadingHistory.set(conversationId, loading);
    return loading;
  }

  /**
   * Pages back (full pages) until the message `seq` is held, keeping the held run without a
   * gap, so a search hit far up the history can be shown in place. False: it is not there
   * (deleted meanwhile) or the conversation is not held.
   */
  async loadUntil(conversationId: string, seq: number): Promise<boolean> {
    let before: { loaded: boolean; oldest: number | undefined } | null = null;
    for (;;) {
      const held = this.context.store.get().conversations[conversationId];
      if (!held) return false;
      const oldest = held.messages[0]?.seq;
      const reached = !held.hasOlder || (oldest !== undefined && oldest <= seq);
      // A page that brought nothing older would only repeat: stop there.
      const stuck = before?.loaded && before.oldest === oldest;
      if ((held.loaded && reached) || stuck) return held.messages.some((message) => message.seq === seq);
      before = { loaded: held.loaded, oldest };
      await this.loadHistory(conversationId, held.loaded ? pageLimits.history.max : undefined);
    }
  }

  private async loadPage(conversationId: string, limit: number | undefined): Promise<void> {
    const held = this.context.store.get().conversations[conversationId];
    if (!held || (held.loaded && !held.hasOlder)) return;
    const oldest = held.loaded ? held.messages[0]?.seq : undefined;
    const page = await this.context.api.messages(conversationId, oldest ? { before: oldest, limit } : {});
    updateConversation(this.context.store, conversationId, (current) => ({
      ...withMessages({ ...current, loaded: true }, page.messages),
      hasOlder: page.hasMore,
      // The newest page starts the change cursor; older pages are newer than it anyway.
      changeSeq: current.changeSeq ?? page.changeSeq,
    }));
    void ensureUsers(
      this.context,
      page.messages.map((message) => message.senderId),
    );
    if (!oldest) {
      void this.conversations.refreshMarks(conversationId);
      // Anything that arrived between the page and now is caught up from the newest held.
      await this.fillGap(conversationId);
      acknowledgeDelivery(this.context, conversationId);
    }
  }

  /** Page forward with `after` until the held tail reaches the conversation's lastSeq. */
  async fillGap(conversationId: string): Promise<void> {
    if (this.fillingGap.has(conversationId)) return;
    this.fillingGap.add(conversationId);
    try {
      for (;;) {
        const held = this.context.store.get().conversations[conversationId];
        if (!held?.loaded) return;
        const after = lastHeldSeq(held);
        if (after >= held.conversation.lastSeq) return;
        const page = await this.context.api.messages(conversationId, { after, limit: 100 });
        this.receive(page.messages, false);
        if (!page.hasMore || page.messages.length === 0) return;
      }
    } catch {
      // Offline again: the next reconnect's sync picks up from the same place.
    } finally {
      this.fillingGap.delete(conversationId);
    }
  }

  /**
   * Merge messages; own ones replace their pending copy (matched by clientMessageId). Unless
   * they come from a send's ack, a gap they reveal is filled, a conversation they name that
   * is not held loads the list again, and unknown senders' profiles are fetched.
   */
  receive(messages: Message[], fromAck: boolean): void {
    if (messages.length === 0) return;
    const me = myId(this.context);
    const gaps = this.merge(messages, me);
    if (messages.some((message) => message.senderId === me)) this.outbox.save();
    if (fromAck) return;
    for (const conversationId of gaps) void this.fillGap(conversationId);
    const held = this.context.store.get().conversations;
    if (messages.some((message) => !held[message.conversationId])) void this.conversations.load();
    void ensureUsers(
      this.context,
      messages.map((message) => message.senderId),
    );
  }

  /**
   * Messages as they are after a change (an edit or a deletion, live or from `sync`), and
   * the change cursor that covers them. A changed message older than the held ones is left
   * out: it is not held, and paging back fetches it as it is.
   */
  applyChanges(conversationId: string, changed: Message[], changeSeq: number, from: 'live' | 'sync'): void {
    const held = this.context.store.get().conversations[conversationId];
    if (!held) return;
    this.receive(held.loaded ? changedWithinHeld(held, changed) : changed, false);
    updateConversation(this.context.store, conversationId, (state) =>
      withChangeCursor(state, changeSeq, from),
    );
  }

  /** A reaction someone added or took back, live. */
  applyReaction(conversationId: string, change: ReactionChange, changeSeq: number): void {
    updateConversation(this.context.store, conversationId, (state) =>
      withChangeCursor(withReaction(state, change), changeSeq, 'live'),
    );
  }

  /** A thread's root got a reply, live: its new summary. */
  applyThread(change: ServerEventPayload<'message:thread'>): void {
    updateConversation(this.context.store, change.conversationId, (state) =>
      withChangeCursor(withThread(state, change.rootSeq, change.thread), change.changeSeq, 'live'),
    );
  }

  /** A page of a thread (the latest without a cursor), its repliers' profiles fetched alongside. */
  async loadThread(conversationId: string, rootSeq: number, before?: number): Promise<ThreadPage> {
    const page = await this.context.api.thread(conversationId, rootSeq, before);
    void ensureUsers(
      this.context,
      [page.root, ...page.replies].map((message) => message.senderId),
    );
    return page;
  }

  async edit(conversationId: string, seq: number, body: string): Promise<void> {
    const message = await this.context.api.editMessage(conversationId, seq, body.trim());
    this.receive([message], false);
  }

  async remove(conversationId: string, seq: number): Promise<void> {
    await this.context.api.deleteMessage(conversationId, seq);
    const held = this.context.store
      .get()
      .conversations[conversationId]?.messages.find((message) => message.seq === seq);
    if (held)
      this.receive([{ ...held, body: null, attachments: [], deletedAt: new Date().toISOString() }], false);
  }

  /** Adds my reaction, or takes it back if I had it: shown at once, undone if refused. */
  async toggleReaction(conversationId: string, seq: number, emoji: string): Promise<void> {
    const me = myId(this.context);
    const { store } = this.context;
    const held = store.get().conversations[conversationId]?.messages.find((m) => m.seq === seq);
    const mine = held?.reactions.some((r) => r.emoji === emoji && r.userIds.includes(me)) ?? false;
    const change = { seq, emoji, userId: me, reacted: !mine };
    updateConversation(store, conversationId, (state) => withReaction(state, change));
    try {
      await this.context.api.react(conversationId, seq, emoji, !mine);
    } catch (error) {
      updateConversation(store, conversationId, (state) => withReaction(state, { ...change, reacted: mine }));
      throw error;
    }
  }

  /** Puts messages into their held conversations; returns those that now miss a run. */
  private merge(messages: Message[], me: string): Set<string> {
    const gaps = new Set<string>();
    this.context.store.update((state) => {
      const conversations = { ...state.conversations };
      for (const message of messages) {
        const held = conversations[message.conversationId];
        if (!held) continue;
        const next = withMessages(held, [message]);
        // Something was skipped (missed while away): fetch the run from the held tail.
        if (next.loaded && next.conversation.lastSeq > lastHeldSeq(next)) gaps.add(message.conversationId);
        conversations[message.conversationId] = next;
      }
      const settled = new Set(messages.filter((m) => m.senderId === me).map((m) => m.clientMessageId));
      const pending = state.pending.filter((p) => !settled.has(p.clientMessageId));
      return {
        ...state,
        conversations,
        pending: pending.length === state.pending.length ? state.pending : pending,
      };
    });
    return gaps;
  }
}
