import type { Message } from '@palaver/contracts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeSocket } from '../test-support/fake-socket.ts';
import { me, message, summaries, testApi, testAuth } from '../test-support/fixtures.ts';
import { startedClient } from '../test-support/started-client.ts';
import { ChatClient } from './chat-client.ts';

let socket: FakeSocket;
vi.mock('../realtime/gateway-socket.ts', () => ({
  connectGateway: () => socket,
  refusalCode: () => undefined,
}));

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
    const api = testApi(list, {
      conversations: async () => {
        if (down) throw new Error('unreachable');
        return { conversations: list, nextCursor: null };
      },
    });
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
    const client = await startedClient(testApi(list));
    client.send(list[0]?.id ?? '', 'typed while offline'); // not connected: it waits in the outbox
    expect(client.store.get().pending).toHaveLength(1);
    expect(localStorage.getItem(`palaver.outbox.${me}`)).toContain('typed while offline');

    client.clearOutbox();
    expect(client.store.get().pending).toEqual([]);
    expect(localStorage.getItem(`palaver.outbox.${me}`)).toBeNull();
    client.stop();
  });

  it('sends what a previous tab left once connected, and the ack settles it', async () => {
    const list = summaries(1);
    const conversationId = list[0]?.id ?? '';
    const first = new ChatClient(testAuth(), testApi(list));
    first.send(conversationId, 'typed before the reload'); // never started: it stays queued
    const [queued] = first.store.get().pending;

    const client = new ChatClient(testAuth(), testApi(list));
    expect(client.store.get().pending).toEqual([queued]);
    const stored: Message = message(1, {
      conversationId,
      senderId: me,
      clientMessageId: queued?.clientMessageId ?? '',
      body: 'typed before the reload',
    });
    socket.answer('message:send', () => ({ ok: true, message: stored }));
    client.start();
    await vi.waitFor(() => expect(client.store.get().listStatus).toBe('ready'));
    socket.open();
    await vi.waitFor(() => expect(client.store.get().pending).toEqual([]));
    expect(socket.payloads('message:send')).toEqual([
      { conversationId, clientMessageId: queued?.clientMessageId, body: 'typed before the reload' },
    ]);
    expect(client.store.get().conversations[conversationId]?.lastMessage).toEqual(stored);
    expect(JSON.parse(localStorage.getItem(`palaver.outbox.${me}`) ?? 'null')).toEqual([]);
    client.stop();
  });
});
