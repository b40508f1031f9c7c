import type { Message, MessagePage } from '@palaver/contracts';
import { pageLimits } from '@palaver/contracts/limits';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeSocket } from '../test-support/fake-socket.ts';
import { message, summaries, testApi, testAuth } from '../test-support/fixtures.ts';
import { ChatClient } from './chat-client.ts';

let socket: FakeSocket;
vi.mock('../realtime/gateway-socket.ts', () => ({
  connectGateway: () => socket,
  refusalCode: () => undefined,
}));

const [summary] = summaries(1) as [ReturnType<typeof summaries>[number]];
const conversationId = summary.id;

/** A client holding the one conversation, its history served by `page`. */
async function clientWith(
  lastSeq: number,
  page: (query: { before?: number; after?: number; limit?: number }) => MessagePage,
) {
  const messages = vi.fn(async (_: string, query: Parameters<typeof page>[0]) => page(query));
  const client = new ChatClient(
    testAuth(),
    testApi([{ ...summary, lastSeq }], {
      messages,
      conversation: async () => ({ ...summary, lastSeq }),
      blocks: async () => ({ blocks: [] }),
    }),
  );
  client.start();
  socket.open();
  await vi.waitFor(() => expect(client.store.get().listStatus).toBe('ready'));
  return { client, messages, held: () => client.store.get().conversations[conversationId] };
}

/** History over `stored`: newest first before a seq, oldest first after one. */
const historyOf =
  (stored: Message[]) =>
  ({
    before,
    after,
    limit = pageLimits.history.default,
  }: {
    before?: number;
    after?: number;
    limit?: number;
  }) => {
    const found =
      after !== undefined
        ? stored.filter((m) => m.seq > after)
        : stored.filter((m) => m.seq < (before ?? Number.POSITIVE_INFINITY)).reverse();
    return { messages: found.slice(0, limit), hasMore: found.length > limit, changeSeq: 0 } as MessagePage;
  };

describe('Messages.loadUntil (opening a search hit)', () => {
  beforeEach(() => {
    socket = new FakeSocket();
    localStorage.clear();
  });

  it('pages back in full pages from the newest until the message is held, without a gap', async () => {
    const stored = Array.from({ length: 260 }, (_, i) => message(i + 1, { conversationId }));
    const { client, messages, held } = await clientWith(260, historyOf(stored));
    expect(await client.loadUntil(conversationId, 7)).toBe(true); // the newest 50, then 100 at a time
    expect(messages.mock.calls.map(([, query]) => query)).toEqual([
      {},
      { before: 211, limit: 100 },
      { before: 111, limit: 100 },
      { before: 11, limit: 100 },
    ]);
    const seqs = held()?.messages.map((m) => m.seq) ?? [];
    expect(seqs).toEqual(stored.map((m) => m.seq));
    // Already held: nothing more is asked.
    expect(await client.loadUntil(conversationId, 100)).toBe(true);
    expect(messages).toHaveBeenCalledTimes(4);
    client.stop();
  });

  it('answers false for a message not there, and stops when a page brings nothing older', async () => {
    const stored = [1, 2, 4, 5].map((seq) => message(seq, { conversationId }));
    const { client } = await clientWith(5, historyOf(stored));
    expect(await client.loadUntil(conversationId, 3)).toBe(false);
    client.stop();

    socket = new FakeSocket();
    const newest = [message(60, { conversationId })];
    const stuck = await clientWith(
      60,
      () => ({ messages: newest, hasMore: true, changeSeq: 0 }) as MessagePage,
    );
    expect(await stuck.client.loadUntil(conversationId, 1)).toBe(false);
    expect(stuck.messages.mock.calls.length).toBeLessThanOrEqual(3);
    stuck.client.stop();
  });
});
