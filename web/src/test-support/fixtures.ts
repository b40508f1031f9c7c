import type { Conversation, ConversationSummary, Message, PublicUser } from '@palaver/contracts';
import type { AuthSession } from '../api/auth-session.ts';
import type { PalaverApi } from '../api/palaver-api.ts';
import type { ChatContext } from '../chat/chat-context.ts';
import { type ConversationState, initialChatState } from '../chat/chat-state.ts';
import { ChatStore } from '../chat/chat-store.ts';
import type { FakeSocket } from './fake-socket.ts';

/** Small builders for component and state tests; ids are 24 hex digits like the server's. */
export const id = (n: number) => n.toString(16).padStart(24, '0');

export const me = id(1);
export const other = id(2);

export const users: Record<string, PublicUser> = {
  [me]: {
    id: me,
    username: 'me',
    displayName: 'Me Myself',
    avatar: null,
    createdAt: '2026-01-01T00:00:00.000Z',
  },
  [other]: {
    id: other,
    username: 'olga',
    displayName: 'Olga',
    avatar: null,
    createdAt: '2026-01-01T00:00:00.000Z',
  },
};

export function message(seq: number, overrides: Partial<Message> = {}): Message {
  return {
    id: id(1000 + seq),
    conversationId: id(100),
    seq,
    senderId: other,
    clientMessageId: `c${seq}`,
    kind: 'text',
    body: `message ${seq}`,
    attachments: [],
    createdAt: new Date(Date.UTC(2026, 10, 25, 10, seq)).toISOString(),
    editedAt: null,
    deletedAt: null,
    mentions: [],
    reactions: [],
    replyTo: null,
    threadRootSeq: null,
    thread: null,
    ...overrides,
  };
}

export function conversation(
  overrides: Partial<Conversation> = {},
  marks = { read: 0, delivered: 0 },
): Conversation {
  return {
    id: id(100),
    type: 'direct',
    title: null,
    members: [
      {
        userId: me,
        role: 'owner',
        joinedAt: '2026-01-01T00:00:00.000Z',
        lastReadSeq: 0,
        lastDeliveredSeq: 0,
      },
      {
        userId: other,
        role: 'member',
        joinedAt: '2026-01-01T00:00:00.000Z',
        lastReadSeq: marks.read,
        lastDeliveredSeq: marks.delivered,
      },
    ],
    createdBy: me,
    lastSeq: 0,
    lastMessageAt: null,
    createdAt: '2026-11-25T09:00:00.000Z',
    updatedAt: '2026-11-25T09:00:00.000Z',
    ...overrides,
  };
}

export function conversationState(
  messages: Message[],
  overrides: Partial<ConversationState> = {},
  conv: Conversation = conversation(),
): ConversationState {
  const last = messages.at(-1) ?? null;
  return {
    conversation: { ...conv, lastSeq: last?.seq ?? 0, lastMessageAt: last?.createdAt ?? null },
    lastMessage: last,
    messages,
    loaded: true,
    hasOlder: false,
    muted: false,
    unreadMentions: 0,
    changeSeq: 0,
    ...overrides,
  };
}

/** List entries for `count` conversations with ids from 0x10000 up. */
export function summaries(count: number): ConversationSummary[] {
  return Array.from({ length: count }, (_, i) => ({
    ...conversation({ id: id(0x10000 + i) }),
    unreadCount: 0,
    unreadMentions: 0,
    muted: false,
    lastMessage: null,
  }));
}

/** A signed-in session as `me` that never needs refreshing. */
export function testAuth(): AuthSession {
  return {
    session: {
      user: users[me],
      accessToken: 'token',
      refreshToken: 'refresh',
      expiresAt: Date.now() + 3600_000,
    },
    subscribe: () => () => {},
    refresh: async () => {},
    updateUser: () => {},
  } as unknown as AuthSession;
}

/** The HTTP API as the chat client sees it: this list, the fixture users, plus any overrides. */
export function testApi(list: ConversationSummary[], overrides: Partial<PalaverApi> = {}): PalaverApi {
  return {
    conversations: async () => ({ conversations: list, nextCursor: null }),
    user: async (userId: string) => users[userId] ?? Promise.reject(new Error('unknown')),
    ...overrides,
  } as unknown as PalaverApi;
}

/**
 * What the chat client's parts share, for testing one part alone over `socket`: an empty
 * state as `me`, and an API and session that part does not use.
 */
export function testContext(socket: FakeSocket): ChatContext {
  return {
    store: new ChatStore(initialChatState(me)),
    api: {} as PalaverApi,
    auth: {} as AuthSession,
    socket: socket.asGateway,
    stopped: false,
  };
}
