import type {
  Ack,
  Attachment,
  Conversation,
  ConversationSummary,
  Message,
  SyncedConversation,
  Upload,
} from '@palaver/contracts';
import { ApiError, describeError } from '../api/api-error.ts';
import type { AuthSession } from '../api/auth-session.ts';
import type { PalaverApi } from '../api/palaver-api.ts';
import { connectGateway, type GatewaySocket, refusalCode } from '../realtime/gateway-socket.ts';
import {
  type ChatState,
  type ConversationState,
  fromSummary,
  initialChatState,
  lastHeldSeq,
  mentionsMe,
  mergeConversation,
  type PendingMessage,
  withMessages,
  withReaction,
  withReceipt,
} from './chat-state.ts';
import { ChatStore } from './chat-store.ts';

/** How long to wait for a send ack before treating the attempt as lost (it is retried). */
const ackTimeout = 10_000;
/** A typing indicator lapses after this without a renewal. */
const typingTtl = 6_000;
const typingRenewal = 2_500;

/**
 * Most conversations one `sync` may ask about: a mirror of `maxSyncConversations` in
 * packages/contracts/src/realtime.ts (the gateway's limit), kept here because importing the
 * value from @palaver/contracts bundles TypeBox (+12 KB gzipped). A unit test keeps them equal.
 */
export const maxSyncConversations = 200;
/** A `rate_limited` sync batch is retried this many times, backing off 1 s, 2 s, 4 s, 8 s… */
const syncRetries = 6;

function syncBackoff(attempt: number): number {
  return Math.min(8_000, 1_000 * 2 ** attempt) + Math.random() * 250;
}

/**
 * The wait before the outbox sends again after an overload answer or a lost ack, or the
 * conversation list loads again after a failure: doubling
 * from 1 s up to 30 s, half of it random, so clients refused together do not come back
 * together and pile onto a service that is shedding load.
 */
export function retryBackoff(attempt: number, random = Math.random): number {
  const ceiling = Math.min(30_000, 1_000 * 2 ** attempt);
  return ceiling / 2 + random() * (ceiling / 2);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The chat session of the signed-in person: loads conversations over HTTP, keeps one gateway
 * socket, and turns server events into {@link ChatState}. After every (re)connect it asks
 * `sync` for what happened while it was away and sends the outbox, each message with its
 * own clientMessageId, so a retry can never double a message.
 */
export class ChatClient {
  readonly store: ChatStore<ChatState>;
  private socket: GatewaySocket | null = null;
  private readonly loadingHistory = new Set<string>();
  private readonly fillingGap = new Set<string>();
  private flushing = false;
  /** Overload answers or lost acks in a row, for the outbox's backoff. */
  private outboxFailures = 0;
  private outboxRetry: ReturnType<typeof setTimeout> | undefined;
  /** Failed list loads in a row, for the list's own retry backoff. */
  private listFailures = 0;
  private listRetry: ReturnType<typeof setTimeout> | undefined;
  private typingSent = new Map<string, number>();
  private readonly cleanup: (() => void)[] = [];
  private stopped = false;
  /** Bumped by each sync, so an older one still backing off gives way to it. */
  private syncRun = 0;

  readonly auth: AuthSession;
  private readonly api: PalaverApi;

  constructor(auth: AuthSession, api: PalaverApi) {
    this.auth = auth;
    this.api = api;
    const me = auth.session?.user.id ?? '';
    this.store = new ChatStore(initialChatState(me));
    this.store.update((state) => ({
      ...state,
      users: auth.session ? { [me]: auth.session.user } : {},
      pending: readOutbox(me),
    }));
  }

  get me(): string {
    return this.store.get().me;
  }

  start(): void {
    this.stopped = false;
    void this.loadConversations();
    void this.loadBlocks();
    const socket = connectGateway(() => this.auth.session?.accessToken ?? '');
    this.socket = socket;
    this.bindSocket(socket);
    // Renew the socket's token whenever the session refreshes, so it is never cut for expiry.
    this.cleanup.push(
      this.auth.subscribe((session) => {
        if (session && socket.connected)
          socket.emit('auth:refresh', { token: session.accessToken }, () => {});
      }),
    );
    // The browser knows before a heartbeat does: say so at once, and reconnect when back.
    const offline = () => {
      this.setConnection('offline');
      socket.disconnect();
    };
    const online = () => this.connect();
    window.addEventListener('offline', offline);
    window.addEventListener('online', online);
    this.cleanup.push(() => {
      window.removeEventListener('offline', offline);
      window.removeEventListener('online', online);
    });
    const lapse = setInterval(() => this.expireTyping(), 1000);
    this.cleanup.push(() => clearInterval(lapse));
    if (navigator.onLine) this.connect();
    else this.setConnection('offline');
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.outboxRetry);
    clearTimeout(this.listRetry);
    for (const undo of this.cleanup.splice(0)) undo();
    this.socket?.removeAllListeners();
    this.socket?.disconnect();
  }

  // ---- conversations ------------------------------------------------------------------

  /** Loads the whole list; on failure tries again by itself, backing off, until it loads. */
  async loadConversations(): Promise<void> {
    clearTimeout(this.listRetry);
    try {
      const summaries: ConversationSummary[] = [];
      let cursor: string | undefined;
      do {
        const page = await this.api.conversations(cursor);
        summaries.push(...page.conversations);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      this.store.update((state) => {
        const conversations: Record<string, ConversationState> = {};
        for (const summary of summaries) {
          conversations[summary.id] = fromSummary(summary, state.conversations[summary.id]);
        }
        return { ...state, conversations, listStatus: 'ready' };
      });
      this.listFailures = 0;
      void this.ensureUsers(summaries.flatMap((summary) => summary.members.map((member) => member.userId)));
    } catch {
      this.store.update((state) => ({
        ...state,
        listStatus: state.listStatus === 'ready' ? 'ready' : 'error',
      }));
      if (!this.stopped)
        this.listRetry = setTimeout(() => void this.loadConversations(), retryBackoff(this.listFailures++));
    }
  }

  async startDirect(userId: string): Promise<string> {
    const conversation = await this.api.startDirect(userId);
    this.upsertConversation(conversation);
    return conversation.id;
  }

  async createGroup(title: string, memberIds: string[]): Promise<string> {
    const conversation = await this.api.createGroup(title, memberIds);
    this.upsertConversation(conversation);
    return conversation.id;
  }

  async addMembers(conversationId: string, userIds: string[]): Promise<void> {
    this.upsertConversation(await this.api.addMembers(conversationId, userIds));
  }

  async renameGroup(conversationId: string, title: string): Promise<void> {
    this.upsertConversation(await this.api.renameGroup(conversationId, title));
  }

  async setRole(conversationId: string, userId: string, role: 'admin' | 'member'): Promise<void> {
    this.upsertConversation(await this.api.setRole(conversationId, userId, role));
  }

  async transferOwnership(conversationId: string, userId: string): Promise<void> {
    this.upsertConversation(await this.api.transferOwnership(conversationId, userId));
  }

  async removeMember(conversationId: string, userId: string): Promise<void> {
    await this.api.removeMember(conversationId, userId);
    if (userId === this.me) this.dropConversation(conversationId);
    else this.upsertConversation(await this.api.conversation(conversationId));
  }

  /** The list carries only our own receipt marks; one conversation's answer has everyone's. */
  private async refreshMarks(conversationId: string): Promise<void> {
    try {
      this.upsertConversation(await this.api.conversation(conversationId));
    } catch {
      // Offline or gone: live `message:status` events and the next reconnect catch up.
    }
  }

  private upsertConversation(conversation: Conversation): void {
    this.store.update((state) => {
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
          };
      return { ...state, conversations: { ...state.conversations, [conversation.id]: next } };
    });
    void this.ensureUsers(conversation.members.map((member) => member.userId));
  }

  private dropConversation(conversationId: string): void {
    this.store.update((state) => {
      const { [conversationId]: _gone, ...conversations } = state.conversations;
      return {
        ...state,
        conversations,
        pending: state.pending.filter((pending) => pending.conversationId !== conversationId),
      };
    });
    this.saveOutbox();
  }

  /** Fetch profiles we have not seen, for names in lists and messages. */
  async ensureUsers(ids: string[]): Promise<void> {
    const known = this.store.get().users;
    const missing = [...new Set(ids)].filter((id) => !known[id]);
    if (missing.length === 0) return;
    const found = await Promise.all(missing.map((id) => this.api.user(id).catch(() => null)));
    this.store.update((state) => {
      const users = { ...state.users };
      for (const user of found) if (user) users[user.id] = user;
      return { ...state, users };
    });
  }

  // ---- messages -------------------------------------------------------------------------

  /** The newest page when a conversation opens; older pages as the person scrolls up. */
  async loadHistory(conversationId: string): Promise<void> {
    const held = this.store.get().conversations[conversationId];
    if (!held || this.loadingHistory.has(conversationId)) return;
    if (held.loaded && !held.hasOlder) return;
    this.loadingHistory.add(conversationId);
    try {
      const oldest = held.loaded ? held.messages[0]?.seq : undefined;
      const page = await this.api.messages(conversationId, oldest ? { before: oldest } : {});
      this.store.update((state) => {
        const current = state.conversations[conversationId];
        if (!current) return state;
        const next = withMessages({ ...current, loaded: true }, page.messages);
        return {
          ...state,
          conversations: { ...state.conversations, [conversationId]: { ...next, hasOlder: page.hasMore } },
        };
      });
      void this.ensureUsers(page.messages.map((message) => message.senderId));
      if (!oldest) {
        void this.refreshMarks(conversationId);
        // Anything that arrived between the page and now is caught up from the newest held.
        await this.fillGap(conversationId);
        this.acknowledgeDelivery(conversationId);
      }
    } finally {
      this.loadingHistory.delete(conversationId);
    }
  }

  /** Page forward with `after` until the held tail reaches the conversation's lastSeq. */
  private async fillGap(conversationId: string): Promise<void> {
    if (this.fillingGap.has(conversationId)) return;
    this.fillingGap.add(conversationId);
    try {
      for (;;) {
        const held = this.store.get().conversations[conversationId];
        if (!held?.loaded) return;
        const after = lastHeldSeq(held);
        if (after >= held.conversation.lastSeq) return;
        const page = await this.api.messages(conversationId, { after, limit: 100 });
        this.receive(page.messages, false);
        if (!page.hasMore || page.messages.length === 0) return;
      }
    } catch {
      // Offline again: the next reconnect's sync picks up from the same place.
    } finally {
      this.fillingGap.delete(conversationId);
    }
  }

  /** Queue a message; it goes out now if connected, else when the connection returns. */
  send(conversationId: string, body: string, uploads: Upload[] = []): void {
    const text = body.trim();
    if (!text && uploads.length === 0) return;
    const attachments: Attachment[] = uploads.map((upload) => ({
      uploadId: upload.id,
      name: upload.name,
      mime: upload.mime,
      size: upload.size,
      ...(upload.width ? { width: upload.width } : {}),
      ...(upload.height ? { height: upload.height } : {}),
    }));
    const pending: PendingMessage = {
      conversationId,
      clientMessageId: newClientMessageId(),
      ...(text ? { body: text } : {}),
      attachments,
      createdAt: new Date().toISOString(),
    };
    this.store.update((state) => ({ ...state, pending: [...state.pending, pending] }));
    this.saveOutbox();
    this.setTyping(conversationId, false);
    void this.flushOutbox();
  }

  retry(clientMessageId: string): void {
    this.store.update((state) => ({
      ...state,
      pending: state.pending.map((pending) => {
        if (pending.clientMessageId !== clientMessageId) return pending;
        const { error: _error, ...rest } = pending;
        return rest;
      }),
    }));
    void this.flushOutbox();
  }

  /** Forgets every unsent message (at logout), so none is sent at the next sign-in. */
  clearOutbox(): void {
    clearTimeout(this.outboxRetry);
    this.store.update((state) => ({ ...state, pending: [] }));
    try {
      localStorage.removeItem(outboxKey(this.me));
    } catch {
      // Storage denied: nothing was kept there either.
    }
  }

  discard(clientMessageId: string): void {
    this.store.update((state) => ({
      ...state,
      pending: state.pending.filter((pending) => pending.clientMessageId !== clientMessageId),
    }));
    this.saveOutbox();
  }

  private retryOutboxLater(): void {
    clearTimeout(this.outboxRetry);
    this.outboxRetry = setTimeout(() => void this.flushOutbox(), retryBackoff(this.outboxFailures++));
  }

  /** Send queued messages one at a time, in order, while connected. */
  private async flushOutbox(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (;;) {
        const socket = this.socket;
        const next = this.store.get().pending.find((pending) => !pending.error);
        if (!next || !socket?.connected) return;
        let ack: Ack<{ message: Message }>;
        try {
          ack = await socket.timeout(ackTimeout).emitWithAck('message:send', {
            conversationId: next.conversationId,
            clientMessageId: next.clientMessageId,
            ...(next.body ? { body: next.body } : {}),
            ...(next.attachments.length
              ? { attachments: next.attachments.map((attachment) => ({ uploadId: attachment.uploadId })) }
              : {}),
          });
        } catch {
          // No ack in time: the same clientMessageId goes again, after a backoff or the next connect.
          if (socket.connected) this.retryOutboxLater();
          return;
        }
        if (ack.ok) {
          this.outboxFailures = 0;
          this.receive([ack.message], true);
          continue;
        }
        if (['rate_limited', 'unavailable', 'internal'].includes(ack.error.code)) {
          this.retryOutboxLater();
          return;
        }
        const error = describeError(new ApiError(ack.error.code, ack.error.message, 0));
        this.store.update((state) => ({
          ...state,
          pending: state.pending.map((pending) => (pending === next ? { ...pending, error } : pending)),
        }));
        this.saveOutbox();
      }
    } finally {
      this.flushing = false;
    }
  }

  async edit(conversationId: string, seq: number, body: string): Promise<void> {
    const message = await this.api.editMessage(conversationId, seq, body.trim());
    this.receive([message], false);
  }

  async remove(conversationId: string, seq: number): Promise<void> {
    await this.api.deleteMessage(conversationId, seq);
    const held = this.store
      .get()
      .conversations[conversationId]?.messages.find((message) => message.seq === seq);
    if (held)
      this.receive([{ ...held, body: null, attachments: [], deletedAt: new Date().toISOString() }], false);
  }

  /** Adds my reaction, or takes it back if I had it. */
  async toggleReaction(conversationId: string, seq: number, emoji: string): Promise<void> {
    const held = this.store.get().conversations[conversationId]?.messages.find((m) => m.seq === seq);
    const mine = held?.reactions.some((r) => r.emoji === emoji && r.userIds.includes(this.me)) ?? false;
    const change = { seq, emoji, userId: this.me, reacted: !mine };
    this.updateConversation(conversationId, (state) => withReaction(state, change));
    try {
      await this.api.react(conversationId, seq, emoji, !mine);
    } catch (error) {
      this.updateConversation(conversationId, (state) => withReaction(state, { ...change, reacted: mine }));
      throw error;
    }
  }

  async setMuted(conversationId: string, muted: boolean): Promise<void> {
    await this.api.setMuted(conversationId, muted);
    this.updateConversation(conversationId, (state) => ({ ...state, muted }));
  }

  async setBlocked(userId: string, blocked: boolean): Promise<void> {
    await this.api.setBlocked(userId, blocked);
    this.applyBlocked(userId, blocked);
  }

  private async loadBlocks(): Promise<void> {
    try {
      const { blocks } = await this.api.blocks();
      this.store.update((state) => ({ ...state, blocked: blocks.map((b) => b.userId) }));
    } catch {
      // Shown as not blocked until the next start; the server enforces blocks either way.
    }
  }

  private applyBlocked(userId: string, blocked: boolean): void {
    this.store.update((state) => ({
      ...state,
      blocked: blocked
        ? [...new Set([...state.blocked, userId])]
        : state.blocked.filter((id) => id !== userId),
    }));
  }

  private updateConversation(
    conversationId: string,
    change: (state: ConversationState) => ConversationState,
  ) {
    this.store.update((state) => {
      const held = state.conversations[conversationId];
      return held
        ? { ...state, conversations: { ...state.conversations, [conversationId]: change(held) } }
        : state;
    });
  }

  /** Mark everything held in an open, visible conversation as read. */
  markRead(conversationId: string): void {
    const held = this.store.get().conversations[conversationId];
    if (!held) return;
    const seq = held.conversation.lastSeq;
    const mine = held.conversation.members.find((member) => member.userId === this.me);
    if (!mine || mine.lastReadSeq >= seq || seq === 0) return;
    this.applyReceipt(conversationId, this.me, { readSeq: seq });
    this.updateConversation(conversationId, (state) => ({ ...state, unreadMentions: 0 }));
    const socket = this.socket;
    if (socket?.connected) socket.emit('conversation:read', { conversationId, seq }, () => {});
    else this.api.markRead(conversationId, seq).catch(() => {});
  }

  /** Tell the others "typing" at most every few seconds, and "stopped" once. */
  setTyping(conversationId: string, isTyping: boolean): void {
    const socket = this.socket;
    if (!socket?.connected) return;
    const last = this.typingSent.get(conversationId) ?? 0;
    if (isTyping && Date.now() - last < typingRenewal) return;
    if (!isTyping && last === 0) return;
    this.typingSent.set(conversationId, isTyping ? Date.now() : 0);
    socket.emit('typing', { conversationId, isTyping }, () => {});
  }

  /** Merge messages; own ones replace their pending copy (matched by clientMessageId). */
  private receive(messages: Message[], fromAck: boolean): void {
    if (messages.length === 0) return;
    const me = this.me;
    const gaps = new Set<string>();
    this.store.update((state) => {
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
    if (messages.some((message) => message.senderId === me)) this.saveOutbox();
    if (fromAck) return;
    for (const conversationId of gaps) void this.fillGap(conversationId);
    const unknown = messages.filter((message) => !this.store.get().conversations[message.conversationId]);
    if (unknown.length) void this.loadConversations();
    void this.ensureUsers(messages.map((message) => message.senderId));
  }

  /** Tell senders their messages reached this device (✓✓). */
  private acknowledgeDelivery(conversationId: string): void {
    const held = this.store.get().conversations[conversationId];
    const socket = this.socket;
    if (!held || !socket?.connected) return;
    const seq = held.conversation.lastSeq;
    const mine = held.conversation.members.find((member) => member.userId === this.me);
    if (!mine || seq === 0 || Math.max(mine.lastDeliveredSeq, mine.lastReadSeq) >= seq) return;
    this.applyReceipt(conversationId, this.me, { deliveredSeq: seq });
    socket.emit('message:delivered', { conversationId, seq }, () => {});
  }

  private applyReceipt(
    conversationId: string,
    userId: string,
    marks: { readSeq?: number; deliveredSeq?: number },
  ): void {
    this.store.update((state) => {
      const held = state.conversations[conversationId];
      if (!held) return state;
      return {
        ...state,
        conversations: { ...state.conversations, [conversationId]: withReceipt(held, userId, marks) },
      };
    });
  }

  // ---- the socket -----------------------------------------------------------------------

  private connect(): void {
    if (this.stopped || !this.socket || this.socket.connected) return;
    if (!navigator.onLine) return;
    this.setConnection('connecting');
    this.socket.connect();
  }

  private setConnection(connection: ChatState['connection']): void {
    this.store.update((state) => (state.connection === connection ? state : { ...state, connection }));
  }

  private bindSocket(socket: GatewaySocket): void {
    let connectedBefore = false;
    socket.on('connect', () => {
      this.setConnection('online');
      this.typingSent.clear();
      const reconnect = connectedBefore;
      connectedBefore = true;
      void this.catchUp(reconnect);
    });
    socket.on('disconnect', (reason) => {
      this.setConnection('offline');
      this.store.update((state) => ({ ...state, typing: {} }));
      // The server closed it (token expired, replica draining): refresh and come back.
      if (reason === 'io server disconnect') this.reauthenticate();
    });
    socket.on('connect_error', (error) => {
      this.setConnection('offline');
      const code = refusalCode(error);
      if (code === 'token_expired' || code === 'unauthorized') this.reauthenticate();
      else if (!socket.active) setTimeout(() => this.connect(), 1000);
    });
    socket.on('message:received', ({ message }) => {
      if (message.senderId !== this.me && mentionsMe(message, this.me)) {
        this.updateConversation(message.conversationId, (state) => ({
          ...state,
          unreadMentions: state.unreadMentions + 1,
        }));
      }
      this.receive([message], false);
      if (message.senderId !== this.me) this.acknowledgeDelivery(message.conversationId);
    });
    socket.on('message:updated', ({ message }) => this.receive([message], false));
    socket.on('message:deleted', ({ message }) => this.receive([message], false));
    socket.on('message:status', ({ conversationId, userId, readSeq, deliveredSeq }) =>
      this.applyReceipt(conversationId, userId, {
        ...(readSeq !== undefined ? { readSeq } : {}),
        ...(deliveredSeq !== undefined ? { deliveredSeq } : {}),
      }),
    );
    socket.on('conversation:updated', ({ conversation, removedUserIds }) => {
      if (removedUserIds?.includes(this.me)) this.dropConversation(conversation.id);
      else this.upsertConversation(conversation);
    });
    socket.on('message:reaction', ({ conversationId, ...change }) =>
      this.updateConversation(conversationId, (state) => withReaction(state, change)),
    );
    socket.on('conversation:muted', ({ conversationId, muted }) =>
      this.updateConversation(conversationId, (state) => ({ ...state, muted })),
    );
    socket.on('user:blocked', ({ userId, blocked }) => this.applyBlocked(userId, blocked));
    socket.on('user:status', ({ userId, status, lastSeenAt }) =>
      this.store.update((state) => ({
        ...state,
        presence: { ...state.presence, [userId]: { status, lastSeenAt } },
      })),
    );
    socket.on('typing', ({ conversationId, userId, isTyping }) =>
      this.store.update((state) => {
        const entries = { ...(state.typing[conversationId] ?? {}) };
        if (isTyping) entries[userId] = Date.now() + typingTtl;
        else delete entries[userId];
        return { ...state, typing: { ...state.typing, [conversationId]: entries } };
      }),
    );
  }

  private reauthenticate(): void {
    this.auth
      .refresh()
      .then(() => this.connect())
      .catch((error: unknown) => {
        // Signed out (401) ends here: the app returns to the sign-in screen. Else try again soon.
        if (!(error instanceof ApiError && error.status === 401))
          setTimeout(() => this.reauthenticate(), 3000);
      });
  }

  /** After a reconnect: new conversations, then everything after our last seq, then the outbox. */
  private async catchUp(reconnect: boolean): Promise<void> {
    // A first connect after the list failed to load (the APIs were down) loads it too.
    if (reconnect || this.store.get().listStatus === 'error') {
      await this.loadConversations();
      // Receipts sent while away are not replayed: read the marks of open conversations again.
      const loaded = Object.values(this.store.get().conversations).filter((state) => state.loaded);
      await Promise.all(loaded.map((state) => this.refreshMarks(state.conversation.id)));
    }
    await this.sync();
    void this.flushOutbox();
  }

  /**
   * Asks `sync` about every held conversation, at most {@link maxSyncConversations} per
   * request, one batch after the other; a batch the gateway turns away as `rate_limited`
   * is asked again after a backoff. A newer sync (the next connect) supersedes this one.
   */
  private async sync(): Promise<void> {
    const socket = this.socket;
    if (!socket?.connected) return;
    const run = ++this.syncRun;
    // Loaded conversations ask from their held tail; the others only need their list preview.
    const cursors = Object.values(this.store.get().conversations).map(
      (state) =>
        [state.conversation.id, state.loaded ? lastHeldSeq(state) : state.conversation.lastSeq] as const,
    );
    for (let start = 0; start < cursors.length; start += maxSyncConversations) {
      const batch = Object.fromEntries(cursors.slice(start, start + maxSyncConversations));
      if (!(await this.syncBatch(socket, run, batch))) return;
    }
  }

  /** One `sync` request; false when the rest should wait for the next connect. */
  private async syncBatch(
    socket: GatewaySocket,
    run: number,
    cursors: Record<string, number>,
  ): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      if (this.stopped || run !== this.syncRun || this.socket !== socket || !socket.connected) return false;
      let ack: Ack<{ conversations: SyncedConversation[]; gone: string[] }>;
      try {
        ack = await socket.timeout(ackTimeout).emitWithAck('sync', { cursors });
      } catch {
        // Lost again mid-sync: the next connect syncs from the same cursors.
        return false;
      }
      if (!ack.ok) {
        if (ack.error.code !== 'rate_limited') return true; // This batch only; the others may pass.
        if (attempt >= syncRetries) return false;
        await sleep(syncBackoff(attempt));
        continue;
      }
      for (const id of ack.gone) this.dropConversation(id);
      for (const synced of ack.conversations) {
        this.receive(synced.messages, false);
        if (synced.hasMore) void this.fillGap(synced.conversationId);
        this.acknowledgeDelivery(synced.conversationId);
      }
      return true;
    }
  }

  private expireTyping(): void {
    const now = Date.now();
    this.store.update((state) => {
      let changed = false;
      const typing: ChatState['typing'] = {};
      for (const [conversationId, entries] of Object.entries(state.typing)) {
        const live = Object.fromEntries(Object.entries(entries).filter(([, until]) => until > now));
        if (Object.keys(live).length !== Object.keys(entries).length) changed = true;
        typing[conversationId] = live;
      }
      return changed ? { ...state, typing } : state;
    });
  }

  /** The outbox survives a reload, so a message typed offline is not lost with the tab. */
  private saveOutbox(): void {
    try {
      localStorage.setItem(outboxKey(this.me), JSON.stringify(this.store.get().pending));
    } catch {
      // Storage full or denied: the outbox still lives in memory.
    }
  }
}

function outboxKey(me: string): string {
  return `palaver.outbox.${me}`;
}

function readOutbox(me: string): PendingMessage[] {
  try {
    return JSON.parse(localStorage.getItem(outboxKey(me)) ?? '[]') as PendingMessage[];
  } catch {
    return [];
  }
}

/** Unique per sender; `crypto.randomUUID` needs a secure context, so fall back to random bytes. */
function newClientMessageId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) =>
    byte.toString(16).padStart(2, '0'),
  ).join('');
}
