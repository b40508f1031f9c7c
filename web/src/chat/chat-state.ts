import type {
  Attachment,
  Conversation,
  ConversationSummary,
  Message,
  PublicUser,
  ServerEventPayload,
  ThreadSummary,
} from '@palaver/contracts';

/**
 * Everything the chat screens show, as plain immutable data, and the pure rules that change
 * it. Messages are kept per conversation ordered by `seq` and merged by `seq`, so a message
 * that arrives twice (live, then again from `sync` or history) is stored once.
 */

/** A message typed here that the server has not stored yet (the outbox). */
export interface PendingMessage {
  conversationId: string;
  clientMessageId: string;
  body?: string;
  /** Attachment details for display; only `uploadId` is sent. */
  attachments: Attachment[];
  /** The message it quotes. */
  replyToSeq?: number;
  /** The root of the thread it posts in. */
  threadRootSeq?: number;
  createdAt: string;
  /** Set when the server refused it for good; the person may retry or discard. */
  error?: string;
}

export interface ConversationState {
  conversation: Conversation;
  lastMessage: Message | null;
  /** Ascending by seq, without gaps from the oldest held to the newest held. */
  messages: Message[];
  /** The newest page has been fetched, so `messages` is the live tail. */
  loaded: boolean;
  hasOlder: boolean;
  /** Muted by me: unread still counts, the tab title and notifications leave it out. */
  muted: boolean;
  /** Unread messages that mention me, as of the last list load (reading clears them). */
  unreadMentions: number;
  /**
   * The change cursor of the held messages (edits, deletions, reactions up to it are in
   * them), from the newest history page, `sync` and gapless live events; null until loaded.
   */
  changeSeq: number | null;
}

/** A reaction added or taken back, as `message:reaction` tells it (the part a held message needs). */
export type ReactionChange = Pick<
  ServerEventPayload<'message:reaction'>,
  'seq' | 'emoji' | 'userId' | 'reacted'
>;

export type ConnectionState = 'connecting' | 'online' | 'offline';
export type Presence = { status: 'online' | 'offline'; lastSeenAt: string | null };
export type OwnMessageStatus = 'pending' | 'failed' | 'sent' | 'delivered' | 'read';

export interface ChatState {
  me: string;
  conversations: Record<string, ConversationState>;
  listStatus: 'loading' | 'ready' | 'error';
  pending: PendingMessage[];
  users: Record<string, PublicUser>;
  presence: Record<string, Presence>;
  /** conversationId → userId → when the indicator lapses (epoch ms). */
  typing: Record<string, Record<string, number>>;
  connection: ConnectionState;
  /** People I blocked. */
  blocked: string[];
}

export function initialChatState(me: string): ChatState {
  return {
    me,
    conversations: {},
    listStatus: 'loading',
    pending: [],
    users: {},
    presence: {},
    typing: {},
    connection: 'connecting',
    blocked: [],
  };
}

/** Merge by seq: later copies (edits, tombstones) replace earlier ones; result ascending. */
function mergeMessages(held: Message[], incoming: Message[]): Message[] {
  if (incoming.length === 0) return held;
  const bySeq = new Map<number, Message>();
  for (const message of held) bySeq.set(message.seq, message);
  for (const message of incoming) {
    const known = bySeq.get(message.seq);
    bySeq.set(message.seq, known ? newer(known, message) : message);
  }
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/** An edit or delete wins over the plain copy, whatever order they arrive in. */
function newer(a: Message, b: Message): Message {
  if (a.deletedAt) return a;
  if (b.deletedAt) return b;
  if ((a.editedAt ?? '') > (b.editedAt ?? '')) return a;
  return b;
}

export function lastHeldSeq(state: ConversationState): number {
  return state.messages.at(-1)?.seq ?? 0;
}

/** Put messages into a conversation (and the conversation's list preview). */
export function withMessages(state: ConversationState, messages: Message[]): ConversationState {
  if (messages.length === 0) return state;
  const newest = messages.reduce((a, b) => (b.seq > a.seq ? b : a));
  const lastMessage =
    !state.lastMessage || newest.seq >= state.lastMessage.seq
      ? newest.seq === state.lastMessage?.seq
        ? newer(state.lastMessage, newest)
        : newest
      : state.lastMessage;
  const lastSeq = Math.max(state.conversation.lastSeq, newest.seq);
  const lastMessageAt =
    lastMessage && lastSeq === lastMessage.seq ? lastMessage.createdAt : state.conversation.lastMessageAt;
  // Sending a message reads the conversation up to it (the server moves the sender's mark).
  let conversation: Conversation = { ...state.conversation, lastSeq, lastMessageAt };
  for (const message of messages) {
    const sender = conversation.members.find((member) => member.userId === message.senderId);
    if (message.kind !== 'system' && sender && sender.lastReadSeq < message.seq) {
      conversation = withMarks(conversation, message.senderId, { readSeq: message.seq });
    }
  }
  return {
    ...state,
    lastMessage,
    conversation,
    messages: state.loaded ? mergeContiguous(state.messages, messages) : state.messages,
  };
}

/**
 * Merge, but never past a gap: a message beyond the held tail + 1 is left out (it still
 * moves lastSeq), so the held tail is always a safe `after`/`sync` cursor and the missing
 * run is fetched from there. Copies of held or older messages (edits, history) always merge.
 */
export function mergeContiguous(held: Message[], incoming: Message[]): Message[] {
  let tail = held.at(-1)?.seq ?? 0;
  const accepted: Message[] = [];
  for (const message of [...incoming].sort((a, b) => a.seq - b.seq)) {
    if (held.length > 0 && message.seq > tail + 1) continue;
    accepted.push(message);
    tail = Math.max(tail, message.seq);
  }
  return mergeMessages(held, accepted);
}

export function fromSummary(summary: ConversationSummary, previous?: ConversationState): ConversationState {
  const { unreadCount: _unread, lastMessage, muted, unreadMentions, ...conversation } = summary;
  const base: ConversationState = previous
    ? {
        ...previous,
        muted,
        unreadMentions,
        conversation: mergeConversation(previous.conversation, conversation),
      }
    : {
        conversation,
        lastMessage: null,
        messages: [],
        loaded: false,
        hasOlder: true,
        muted,
        unreadMentions,
        changeSeq: null,
      };
  return lastMessage ? withMessages(base, [lastMessage]) : base;
}

/** A newer copy of a conversation never moves seq or receipt marks backwards. */
export function mergeConversation(held: Conversation, next: Conversation): Conversation {
  const marks = new Map(held.members.map((member) => [member.userId, member]));
  return {
    ...next,
    lastSeq: Math.max(held.lastSeq, next.lastSeq),
    lastMessageAt:
      (held.lastMessageAt ?? '') > (next.lastMessageAt ?? '') ? held.lastMessageAt : next.lastMessageAt,
    members: next.members.map((member) => {
      const old = marks.get(member.userId);
      return old
        ? {
            ...member,
            lastReadSeq: Math.max(old.lastReadSeq, member.lastReadSeq),
            lastDeliveredSeq: Math.max(old.lastDeliveredSeq, member.lastDeliveredSeq),
          }
        : member;
    }),
  };
}

export function withReceipt(
  state: ConversationState,
  userId: string,
  marks: { readSeq?: number; deliveredSeq?: number },
): ConversationState {
  return { ...state, conversation: withMarks(state.conversation, userId, marks) };
}

function withMarks(
  conversation: Conversation,
  userId: string,
  marks: { readSeq?: number; deliveredSeq?: number },
): Conversation {
  return {
    ...conversation,
    members: conversation.members.map((member) =>
      member.userId === userId
        ? {
            ...member,
            lastReadSeq: Math.max(member.lastReadSeq, marks.readSeq ?? 0),
            lastDeliveredSeq: Math.max(member.lastDeliveredSeq, marks.deliveredSeq ?? 0, marks.readSeq ?? 0),
          }
        : member,
    ),
  };
}

export function unreadCount(state: ConversationState, me: string): number {
  const mine = state.conversation.members.find((member) => member.userId === me);
  return Math.max(0, state.conversation.lastSeq - (mine?.lastReadSeq ?? 0));
}

/** Read or delivered once every other member has it (for a direct chat: the other person). */
export function ownMessageStatus(state: ConversationState, me: string, seq: number): OwnMessageStatus {
  const others = state.conversation.members.filter((member) => member.userId !== me);
  if (others.length === 0) return 'sent';
  if (others.every((member) => member.lastReadSeq >= seq)) return 'read';
  if (others.every((member) => Math.max(member.lastDeliveredSeq, member.lastReadSeq) >= seq))
    return 'delivered';
  return 'sent';
}

/** Most recent activity first. */
export function byActivity(a: ConversationState, b: ConversationState): number {
  const at = (state: ConversationState) => state.conversation.lastMessageAt ?? state.conversation.createdAt;
  return at(b).localeCompare(at(a));
}

export function conversationTitle(
  state: ConversationState,
  me: string,
  users: Record<string, PublicUser>,
): string {
  const { conversation } = state;
  if (conversation.type === 'group') return conversation.title ?? 'Group';
  const other = otherMember(conversation, me);
  return other ? (users[other]?.displayName ?? 'Someone') : 'Just you';
}

/** The other person of a direct conversation. */
export function otherMember(conversation: Conversation, me: string): string | undefined {
  if (conversation.type !== 'direct') return undefined;
  return conversation.members.find((member) => member.userId !== me)?.userId;
}

/** Who is typing in a conversation right now (their indicator has not lapsed). */
export function typingUsers(state: ChatState, conversationId: string, now: number): string[] {
  const entries = state.typing[conversationId] ?? {};
  return Object.entries(entries)
    .filter(([userId, until]) => until > now && userId !== state.me)
    .map(([userId]) => userId);
}

/** One-line preview of a message for the conversation list. */
/** The list's one-line preview; in a group it names who wrote it. */
export function previewText(
  message: Message | null,
  me: string,
  users: Record<string, PublicUser>,
  inGroup = false,
): string {
  if (!message) return 'No messages yet';
  if (message.deletedAt) return 'Message deleted';
  const who =
    message.senderId === me
      ? 'You: '
      : inGroup
        ? `${users[message.senderId]?.displayName ?? 'Someone'}: `
        : '';
  if (message.kind === 'system') return systemText(message, me, users);
  if (message.body) return who + message.body.replace(/\s+/g, ' ');
  const [first] = message.attachments;
  if (message.kind === 'image') return `${who}Photo`;
  return `${who}File: ${first?.name ?? 'attachment'}`;
}

export function systemText(message: Message, me: string, users: Record<string, PublicUser>): string {
  const name = (id: string) => (id === me ? 'you' : (users[id]?.displayName ?? 'someone'));
  try {
    const event = JSON.parse(message.body ?? '{}') as { event?: string; by?: string; userIds?: string[] };
    const by = event.by ? name(event.by) : 'someone';
    const who = (event.userIds ?? []).map(name).join(', ');
    const subject = by === 'you' ? 'You' : by;
    switch (event.event) {
      case 'member_added':
        return `${subject} added ${who}`;
      case 'member_removed':
        return `${subject} removed ${who}`;
      case 'member_left':
        return `${who.charAt(0).toUpperCase()}${who.slice(1)} left`;
      case 'owner_changed':
        return `${subject} made ${who} the owner`;
    }
  } catch {
    // An unknown system body: show the generic line below.
  }
  return 'The group changed';
}

/** Applies a reaction change to the held message it is about (order-free across users). */
export function withReaction(state: ConversationState, change: ReactionChange): ConversationState {
  const apply = (message: Message): Message => {
    if (message.seq !== change.seq) return message;
    const others = message.reactions.filter((r) => r.emoji !== change.emoji);
    const users = message.reactions.find((r) => r.emoji === change.emoji)?.userIds ?? [];
    const next = change.reacted
      ? users.includes(change.userId)
        ? users
        : [...users, change.userId]
      : users.filter((id) => id !== change.userId);
    if (next === users) return message;
    const at = message.reactions.findIndex((r) => r.emoji === change.emoji);
    const reactions =
      next.length === 0
        ? others
        : at === -1
          ? [...message.reactions, { emoji: change.emoji, userIds: next }]
          : message.reactions.map((r) => (r.emoji === change.emoji ? { ...r, userIds: next } : r));
    return { ...message, reactions };
  };
  return {
    ...state,
    messages: state.messages.map(apply),
    lastMessage: state.lastMessage ? apply(state.lastMessage) : null,
  };
}

/**
 * Moves the change cursor: to a live change only when it follows the cursor without a gap
 * (a missed one is then still fetched by the next `sync`), to what a `sync` covered always.
 */
export function withChangeCursor(
  state: ConversationState,
  changeSeq: number,
  from: 'live' | 'sync',
): ConversationState {
  if (state.changeSeq === null) return state;
  if (from === 'live' ? changeSeq !== state.changeSeq + 1 : changeSeq <= state.changeSeq) return state;
  return { ...state, changeSeq };
}

/** Changed messages older than the held ones are not held: only the list preview may show them. */
export function changedWithinHeld(state: ConversationState, changed: Message[]): Message[] {
  const oldest = state.messages[0]?.seq;
  return oldest === undefined ? changed : changed.filter((message) => message.seq >= oldest);
}

/** Whether a message mentions me (for its highlight). */
export const mentionsMe = (message: Message, me: string) => message.mentions.includes(me);

/** A thread's root got a reply: its summary, on the held root and the list's last message. */
export function withThread(
  state: ConversationState,
  rootSeq: number,
  thread: ThreadSummary,
): ConversationState {
  const apply = (message: Message): Message => (message.seq === rootSeq ? { ...message, thread } : message);
  return {
    ...state,
    messages: state.messages.map(apply),
    lastMessage: state.lastMessage ? apply(state.lastMessage) : null,
  };
}
