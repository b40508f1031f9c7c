import {
  type ConversationSummary,
  maxSyncConversations as gatewayLimit,
  type Message,
} from '@palaver/contracts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AuthSession } from '../api/auth-session.ts';
import type { PalaverApi } from '../api/palaver-api.ts';
import { conversation, id, me, message, users } from '../test-support/fixtures.ts';
import { ChatClient, maxSyncConversations, retryBackoff } from './chat-client.ts';

type Cursors = Record<string, number>;
type SyncAnswer = (cursors: Cursors) => unknown;

/** Stands in for the Socket.IO client: records each `sync` and answers from a script. */
class FakeSocket {
  connected = false;
  active = true;
  readonly syncs: Cursors[] = [];
  readonly answers: SyncAnswer[] = [];
  private readonly handlers = new Map<string, ((...args: unknown[]) => void)[]>();

  on(event: string, handler: (...args: unknown[]) => void): this {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), handler]);
    return this;
  }
  emit(_event: string, _payload: unknown, ack?: (answer: unknown) => void): this {
    ack?.({ ok: true });
    return this;
  }
  timeout(_ms: number) {
    return {
      emitWithAck: async (event: string, payload: { cursors: Cursors }) => {
        if (event !== 'sync') return { ok: true };
        this.syncs.push(payload.cursors);
        const answer = this.answers.shift();
        return answer ? answer(payload.cursors) : { ok: true, conversations: [], gone: [] };
      },
    };
  }
  /** The client's own connect() waits; the test says when the handshake completes. */
  connect(): this {
    return this;
  }
  open(): void {
    this.connected = true;
    for (const handler of this.handlers.get('connect') ?? []) handler();
  }
  disconnect(): this {
    this.connected = false;
    return this;
  }
  removeAllListeners(): this {
    this.handlers.clear();
    return this;
  }
}

let socket: FakeSocket;
vi.mock('../realtime/gateway-socket.ts', () => ({
  connectGateway: () => socket,
  refusalCode: () => undefined,
}));

const ok = { ok: true, conversations: [], gone: [] };
const rateLimited = { ok: false, error: { code: 'rate_limited', message: 'slow down' } };

function summaries(count: number): ConversationSummary[] {
  return Array.from({ length: count }, (_, i) => ({
    ...conversation({ id: id(0x10000 + i) }),
    unreadCount: 0,
    unreadMentions: 0,
    muted: false,
    lastMessage: null,
  }));
}

function testAuth(): AuthSession {
  return {
    session: {
      user: users[me],
      accessToken: 'token',
      refreshToken: 'refresh',
      expiresAt: Date.now() + 3600_000,
    },
    subscribe: () => () => {},
    refresh: async () => {},
  } as unknown as AuthSession;
}

function chatClient(list: ConversationSummary[]): ChatClient {
  const api = {
    conversations: async () => ({ conversations: list, nextCursor: null }),
    user: async (userId: string) => users[userId] ?? Promise.reject(new Error('unknown')),
  } as unknown as PalaverApi;
  return new ChatClient(testAuth(), api);
}

describe('chat client sync', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    socket = new FakeSocket();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('mirrors the gateway’s limit on conversations per sync', () => {
    expect(maxSyncConversations).toBe(gatewayLimit);
  });

  it('syncs every conversation in batches, retrying a rate-limited batch after a backoff', async () => {
    const list = summaries(450);
    const client = chatClient(list);
    client.start();
    await vi.waitFor(() => expect(client.store.get().listStatus).toBe('ready'));

    const last = list[449]?.id ?? '';
    const caughtUp: Message = message(1, { conversationId: last });
    socket.answers.push(
      () => ok,
      () => rateLimited,
      () => ok,
      () => ({
        ok: true,
        conversations: [{ conversationId: last, messages: [caughtUp], hasMore: false }],
        gone: [],
      }),
    );
    socket.open();
    await vi.advanceTimersByTimeAsync(0);
    // The second batch was turned away and waits out its backoff; the third has not gone yet.
    expect(socket.syncs.map((cursors) => Object.keys(cursors).length)).toEqual([200, 200]);

    await vi.advanceTimersByTimeAsync(1_500);
    expect(socket.syncs.map((cursors) => Object.keys(cursors).length)).toEqual([200, 200, 200, 50]);
    expect(socket.syncs[2]).toEqual(socket.syncs[1]);
    const asked = new Set(
      [socket.syncs[0], socket.syncs[2], socket.syncs[3]].flatMap((c) => Object.keys(c ?? {})),
    );
    expect(asked).toEqual(new Set(list.map((summary) => summary.id)));
    expect(client.store.get().conversations[last]?.lastMessage?.seq).toBe(1);
    client.stop();
  });

  it('gives way to the next connect while a rate-limited batch backs off', async () => {
    const client = chatClient(summaries(250));
    client.start();
    await vi.waitFor(() => expect(client.store.get().listStatus).toBe('ready'));
    socket.answers.push(() => rateLimited);
    socket.open();
    await vi.advanceTimersByTimeAsync(0);
    // Reconnected before the retry: the new sync starts over and the old one never retries.
    socket.disconnect();
    socket.open();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(socket.syncs.map((cursors) => Object.keys(cursors).length)).toEqual([200, 200, 50]);
    client.stop();
  });
});

describe('retry backoff', () => {
  it('doubles from 1 s to at most 30 s, with the upper half random', () => {
    const low = [0, 1, 2, 3, 4, 5, 10].map((attempt) => retryBackoff(attempt, () => 0));
    const high = [0, 1, 2, 3, 4, 5, 10].map((attempt) => retryBackoff(attempt, () => 1));
    expect(low).toEqual([500, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000]);
    expect(high).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  });
});

describe('chat client list', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    socket = new FakeSocket();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('loads the list again by itself after the APIs were unreachable, and on the first connect', async () => {
    const list = summaries(2);
    let down = true;
    const api = {
      conversations: async () => {
        if (down) throw new Error('unreachable');
        return { conversations: list, nextCursor: null };
      },
      user: async (userId: string) => users[userId] ?? Promise.reject(new Error('unknown')),
    } as unknown as PalaverApi;
    const client = new ChatClient(testAuth(), api);
    client.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(client.store.get().listStatus).toBe('error');
    await vi.advanceTimersByTimeAsync(1_000); // the first retry, still down
    expect(client.store.get().listStatus).toBe('error');

    down = false;
    socket.open(); // the gateway is back before the next retry: its connect loads the list
    await vi.advanceTimersByTimeAsync(0);
    expect(client.store.get().listStatus).toBe('ready');
    expect(Object.keys(client.store.get().conversations)).toHaveLength(2);
    client.stop();
  });
});

describe('chat client outbox', () => {
  beforeEach(() => {
    socket = new FakeSocket();
    localStorage.clear();
  });

  it('forgets every unsent message at logout, in memory and in storage', async () => {
    const list = summaries(1);
    const client = chatClient(list);
    client.start();
    await vi.waitFor(() => expect(client.store.get().listStatus).toBe('ready'));
    client.send(list[0]?.id ?? '', 'typed while offline'); // not connected: it waits in the outbox
    expect(client.store.get().pending).toHaveLength(1);
    expect(localStorage.getItem(`palaver.outbox.${me}`)).toContain('typed while offline');

    client.clearOutbox();
    expect(client.store.get().pending).toEqual([]);
    expect(localStorage.getItem(`palaver.outbox.${me}`)).toBeNull();
    client.stop();
  });
});
