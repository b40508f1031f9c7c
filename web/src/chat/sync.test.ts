import { type Message, maxSyncConversations } from '@palaver/contracts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeSocket } from '../test-support/fake-socket.ts';
import { conversationState, id, message, summaries, testApi, testAuth } from '../test-support/fixtures.ts';
import { startedClient } from '../test-support/started-client.ts';
import { ChatClient } from './chat-client.ts';
import { type ChatState, initialChatState } from './chat-state.ts';
import { syncBackoff, syncBatches, syncCursors } from './sync.ts';

type Cursors = Record<string, number>;

let socket: FakeSocket;
vi.mock('../realtime/gateway-socket.ts', () => ({
  connectGateway: () => socket,
  refusalCode: () => undefined,
}));

const ok = () => ({ ok: true, conversations: [], gone: [] });
const rateLimited = () => ({ ok: false, error: { code: 'rate_limited', message: 'slow down' } });
/** The cursors of every `sync` asked so far. */
const syncs = () => socket.payloads<{ cursors: Cursors }>('sync').map((payload) => payload.cursors);
const sizes = () => syncs().map((cursors) => Object.keys(cursors).length);

beforeEach(() => {
  vi.useFakeTimers();
  socket = new FakeSocket();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('chat client sync', () => {
  it('syncs every conversation in batches, retrying a rate-limited batch after a backoff', async () => {
    const list = summaries(450);
    const client = await startedClient(testApi(list));

    const last = list[449]?.id ?? '';
    const caughtUp: Message = message(1, { conversationId: last });
    socket.answer('sync', ok, rateLimited, ok, () => ({
      ok: true,
      conversations: [
        {
          conversationId: last,
          messages: [caughtUp],
          hasMore: false,
          changed: [],
          changeSeq: 0,
          hasMoreChanges: false,
        },
      ],
      gone: [],
    }));
    socket.open();
    await vi.advanceTimersByTimeAsync(0);
    // The second batch was turned away and waits out its backoff; the third has not gone yet.
    expect(sizes()).toEqual([200, 200]);

    await vi.advanceTimersByTimeAsync(1_500);
    expect(sizes()).toEqual([200, 200, 200, 50]);
    const [first, refused, again, rest] = syncs();
    expect(again).toEqual(refused);
    const asked = new Set([first, again, rest].flatMap((cursors) => Object.keys(cursors ?? {})));
    expect(asked).toEqual(new Set(list.map((summary) => summary.id)));
    expect(client.store.get().conversations[last]?.lastMessage?.seq).toBe(1);
    client.stop();
  });

  it('gives way to the next connect while a rate-limited batch backs off', async () => {
    const client = await startedClient(testApi(summaries(250)));
    socket.answer('sync', rateLimited);
    socket.open();
    await vi.advanceTimersByTimeAsync(0);
    // Reconnected before the retry: the new sync starts over and the old one never retries.
    socket.disconnect();
    socket.open();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(sizes()).toEqual([200, 200, 50]);
    client.stop();
  });

  it('drops the conversations sync says are gone', async () => {
    const list = summaries(2);
    const gone = list[0]?.id ?? '';
    const client = await startedClient(testApi(list));
    socket.answer('sync', () => ({ ok: true, conversations: [], gone: [gone] }));
    socket.open();
    await vi.advanceTimersByTimeAsync(0);
    expect(Object.keys(client.store.get().conversations)).toEqual([list[1]?.id]);
    client.stop();
  });
});

describe('chat client change cursor', () => {
  it('recovers the edits, deletions and reactions made while away, and follows live ones', async () => {
    const [summary] = summaries(1) as [ReturnType<typeof summaries>[number]];
    const conversationId = summary.id;
    const held = [1, 2, 3].map((seq) => message(seq, { conversationId }));
    const client = new ChatClient(
      testAuth(),
      testApi([{ ...summary, lastSeq: 3 }], {
        messages: async () => ({ messages: [...held].reverse(), hasMore: false, changeSeq: 4 }),
        conversation: async () => ({ ...summary, lastSeq: 3 }),
      }),
    );
    client.start();
    socket.open();
    await vi.waitFor(() => expect(client.store.get().listStatus).toBe('ready'));
    await client.loadHistory(conversationId);
    const state = () => client.store.get().conversations[conversationId];
    expect(state()?.changeSeq).toBe(4);

    // Live: a change right after the cursor moves it; one after a gap does not.
    socket.fire('message:updated', {
      message: { ...held[0], body: 'edited', editedAt: held[0]?.createdAt },
      changeSeq: 5,
    });
    expect(state()?.changeSeq).toBe(5);
    expect(state()?.messages[0]?.body).toBe('edited');
    socket.fire('message:reaction', {
      conversationId,
      messageId: held[2]?.id,
      seq: 3,
      emoji: '👍',
      userId: id(7),
      reacted: true,
      changeSeq: 7,
    });
    expect(state()?.changeSeq).toBe(5);
    expect(state()?.messages[2]?.reactions).toEqual([{ emoji: '👍', userIds: [id(7)] }]);

    // Away and back: sync asks from the cursor and applies what changed, as it is now.
    const tombstone = { ...held[1], body: null, deletedAt: '2026-11-25T11:00:00.000Z' } as Message;
    const older = message(0, { conversationId, body: 'not held' }); // before the held ones: left out
    socket.answer(
      'sync',
      () => ({
        ok: true,
        conversations: [
          {
            conversationId,
            messages: [],
            hasMore: false,
            changed: [older, tombstone],
            changeSeq: 9,
            hasMoreChanges: true,
          },
        ],
        gone: [],
      }),
      () => ({
        ok: true,
        conversations: [
          { conversationId, messages: [], hasMore: false, changed: [], changeSeq: 10, hasMoreChanges: false },
        ],
        gone: [],
      }),
    );
    socket.disconnect();
    socket.fire('disconnect', 'transport close');
    socket.open();
    await vi.advanceTimersByTimeAsync(0);
    const asked = socket.payloads<{ cursors: Cursors; changes: Cursors }>('sync').slice(-2);
    expect(asked.map((payload) => payload.changes[conversationId])).toEqual([5, 9]);
    expect(asked[0]?.cursors[conversationId]).toBe(3);
    expect(state()?.messages.map((m) => [m.seq, m.body])).toEqual([
      [1, 'edited'],
      [2, null],
      [3, 'message 3'],
    ]);
    expect(state()?.changeSeq).toBe(10);
    client.stop();
  });
});

describe('sync cursors', () => {
  it('resumes a loaded conversation from its held tail and the others from their lastSeq', () => {
    const open = conversationState([message(1), message(2)]);
    open.conversation = { ...open.conversation, lastSeq: 5 }; // 3–5 arrived while away
    const closed = conversationState([], { loaded: false }, { ...open.conversation, id: id(200) });
    closed.conversation = { ...closed.conversation, lastSeq: 9 };
    const state: ChatState = {
      ...initialChatState(id(1)),
      conversations: { [open.conversation.id]: open, [closed.conversation.id]: closed },
    };
    expect(syncCursors(state)).toEqual([
      [open.conversation.id, 2],
      [id(200), 9],
    ]);
  });

  it('asks at most the gateway’s limit of conversations per request', () => {
    const cursors = Array.from(
      { length: 2 * maxSyncConversations + 1 },
      (_, i) => [id(i), i] as [string, number],
    );
    const batches = syncBatches(cursors);
    expect(batches.map((batch) => Object.keys(batch).length)).toEqual([
      maxSyncConversations,
      maxSyncConversations,
      1,
    ]);
    expect(batches.flatMap((batch) => Object.entries(batch))).toEqual(cursors);
    expect(syncBatches([])).toEqual([]);
  });

  it('backs off 1 s, 2 s, 4 s, then 8 s at most, plus up to a quarter second', () => {
    expect([0, 1, 2, 3, 4, 6].map((attempt) => syncBackoff(attempt, () => 0))).toEqual([
      1_000, 2_000, 4_000, 8_000, 8_000, 8_000,
    ]);
    expect(syncBackoff(0, () => 1)).toBe(1_250);
  });
});
