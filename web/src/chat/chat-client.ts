import type { SearchPage, SearchQuery, ThreadPage, Upload } from '@palaver/contracts';
import type { AuthSession } from '../api/auth-session.ts';
import type { PalaverApi } from '../api/palaver-api.ts';
import { connectGateway } from '../realtime/gateway-socket.ts';
import type { ChatContext } from './chat-context.ts';
import { type ChatState, initialChatState } from './chat-state.ts';
import { ChatStore } from './chat-store.ts';
import { connect, followBrowserOnline, renewTokenOnRefresh, setConnection } from './connection.ts';
import { Conversations, updateConversation } from './conversations.ts';
import { Messages } from './messages.ts';
import { type MessageRefs, Outbox, readOutbox } from './outbox.ts';
import { type ProfileChange, saveProfile } from './profile.ts';
import { markRead } from './receipts.ts';
import { bindSocketEvents } from './socket-events.ts';
import { Sync } from './sync.ts';
import { TypingSignal, withoutLapsedTyping } from './typing.ts';
import { ensureUsers, loadBlocks, withBlocked } from './users.ts';

/**
 * The chat session of the signed-in person: loads conversations over HTTP, keeps one gateway
 * socket, and turns server events into {@link ChatState}. After every (re)connect it asks
 * `sync` for what happened while it was away and sends the outbox, each message with its
 * own clientMessageId, so a retry can never double a message.
 *
 * This class is the facade the screens use; the work is done by its parts: the list
 * (conversations.ts), messages and history (messages.ts), the outbox (outbox.ts), catching up
 * (sync.ts), receipts (receipts.ts), typing (typing.ts) and the socket (socket-events.ts,
 * connection.ts).
 */
export class ChatClient {
  readonly store: ChatStore<ChatState>;
  readonly auth: AuthSession;
  private readonly context: ChatContext;
  private readonly outbox: Outbox;
  private readonly conversations: Conversations;
  private readonly messages: Messages;
  private readonly sync: Sync;
  private readonly typing: TypingSignal;
  private readonly cleanup: (() => void)[] = [];

  constructor(auth: AuthSession, api: PalaverApi) {
    this.auth = auth;
    const me = auth.session?.user.id ?? '';
    this.store = new ChatStore(initialChatState(me));
    this.store.update((state) => ({
      ...state,
      users: auth.session ? { [me]: auth.session.user } : {},
      pending: readOutbox(me),
    }));
    const context: ChatContext = { store: this.store, api, auth, socket: null, stopped: false };
    this.context = context;
    this.outbox = new Outbox(context, (message) => this.messages.receive([message], true));
    this.conversations = new Conversations(context, this.outbox);
    this.messages = new Messages(context, this.conversations, this.outbox);
    this.sync = new Sync(context, this.conversations, this.messages, this.outbox);
    this.typing = new TypingSignal(context);
  }

  get me(): string {
    return this.store.get().me;
  }

  start(): void {
    const { context } = this;
    context.stopped = false;
    void this.conversations.load();
    void loadBlocks(context);
    const socket = connectGateway(() => this.auth.session?.accessToken ?? '');
    context.socket = socket;
    bindSocketEvents(socket, {
      context,
      conversations: this.conversations,
      messages: this.messages,
      sync: this.sync,
      typing: this.typing,
    });
    this.cleanup.push(renewTokenOnRefresh(context, socket), followBrowserOnline(context, socket));
    const lapse = setInterval(
      () => this.store.update((state) => withoutLapsedTyping(state, Date.now())),
      1000,
    );
    this.cleanup.push(() => clearInterval(lapse));
    if (navigator.onLine) connect(context);
    else setConnection(context, 'offline');
  }

  stop(): void {
    this.context.stopped = true;
    this.outbox.stop();
    this.conversations.stop();
    for (const undo of this.cleanup.splice(0)) undo();
    this.context.socket?.removeAllListeners();
    this.context.socket?.disconnect();
  }

  // ---- conversations ------------------------------------------------------------------

  /** Loads the whole list; on failure tries again by itself, backing off, until it loads. */
  loadConversations(): Promise<void> {
    return this.conversations.load();
  }

  async startDirect(userId: string): Promise<string> {
    const conversation = await this.context.api.startDirect(userId);
    this.conversations.upsert(conversation);
    return conversation.id;
  }

  async createGroup(title: string, memberIds: string[]): Promise<string> {
    const conversation = await this.context.api.createGroup(title, memberIds);
    this.conversations.upsert(conversation);
    return conversation.id;
  }

  async addMembers(conversationId: string, userIds: string[]): Promise<void> {
    this.conversations.upsert(await this.context.api.addMembers(conversationId, userIds));
  }

  async renameGroup(conversationId: string, title: string): Promise<void> {
    this.conversations.upsert(await this.context.api.renameGroup(conversationId, title));
  }

  async setRole(conversationId: string, userId: string, role: 'admin' | 'member'): Promise<void> {
    this.conversations.upsert(await this.context.api.setRole(conversationId, userId, role));
  }

  async transferOwnership(conversationId: string, userId: string): Promise<void> {
    this.conversations.upsert(await this.context.api.transferOwnership(conversationId, userId));
  }

  async removeMember(conversationId: string, userId: string): Promise<void> {
    await this.context.api.removeMember(conversationId, userId);
    if (userId === this.me) this.conversations.drop(conversationId);
    else this.conversations.upsert(await this.context.api.conversation(conversationId));
  }

  /** My display name and picture; `onUploaded` gets a new picture's upload (for its links). */
  saveProfile(change: ProfileChange, onUploaded?: (upload: Upload) => void): Promise<void> {
    return saveProfile(this.context, change, onUploaded);
  }

  /** Fetch profiles we have not seen, for names in lists and messages. */
  ensureUsers(ids: string[]): Promise<void> {
    return ensureUsers(this.context, ids);
  }

  async setMuted(conversationId: string, muted: boolean): Promise<void> {
    await this.context.api.setMuted(conversationId, muted);
    updateConversation(this.store, conversationId, (state) => ({ ...state, muted }));
  }

  async setBlocked(userId: string, blocked: boolean): Promise<void> {
    await this.context.api.setBlocked(userId, blocked);
    this.store.update((state) => withBlocked(state, userId, blocked));
  }

  // ---- messages -------------------------------------------------------------------------

  /** The newest page when a conversation opens; older pages as the person scrolls up. */
  loadHistory(conversationId: string): Promise<void> {
    return this.messages.loadHistory(conversationId);
  }

  /** Loads history back to message `seq` (a search hit), without a gap; false if it is not there. */
  loadUntil(conversationId: string, seq: number): Promise<boolean> {
    return this.messages.loadUntil(conversationId, seq);
  }

  // ---- search ---------------------------------------------------------------------------

  /**
   * One page of messages matching `q` (docs/api.md "search"), the senders' profiles fetched
   * alongside so the hits can name them.
   */
  async searchMessages(query: SearchQuery): Promise<SearchPage> {
    const page = await this.context.api.searchMessages(query);
    await ensureUsers(
      this.context,
      page.results.map((hit) => hit.senderId),
    );
    return page;
  }

  /**
   * Queue a message (quoting one, or in a thread, by `refs`); it goes out now if connected,
   * else when the connection returns.
   */
  send(conversationId: string, body: string, uploads: Upload[] = [], refs: MessageRefs = {}): void {
    if (!this.outbox.add(conversationId, body, uploads, refs)) return;
    this.typing.set(conversationId, false);
    void this.outbox.flush();
  }

  /** A page of a thread: the root and its replies (the latest, or those before a place). */
  loadThread(conversationId: string, rootSeq: number, before?: number): Promise<ThreadPage> {
    return this.messages.loadThread(conversationId, rootSeq, before);
  }

  retry(clientMessageId: string): void {
    this.outbox.retry(clientMessageId);
  }

  discard(clientMessageId: string): void {
    this.outbox.discard(clientMessageId);
  }

  /** Forgets every unsent message (at logout), so none is sent at the next sign-in. */
  clearOutbox(): void {
    this.outbox.clear();
  }

  edit(conversationId: string, seq: number, body: string): Promise<void> {
    return this.messages.edit(conversationId, seq, body);
  }

  remove(conversationId: string, seq: number): Promise<void> {
    return this.messages.remove(conversationId, seq);
  }

  /** Adds my reaction, or takes it back if I had it. */
  toggleReaction(conversationId: string, seq: number, emoji: string): Promise<void> {
    return this.messages.toggleReaction(conversationId, seq, emoji);
  }

  /** Mark everything held in an open, visible conversation as read. */
  markRead(conversationId: string): void {
    markRead(this.context, conversationId);
  }

  /** Tell the others "typing" at most every few seconds, and "stopped" once. */
  setTyping(conversationId: string, isTyping: boolean): void {
    this.typing.set(conversationId, isTyping);
  }
}
