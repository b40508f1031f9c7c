import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeSocket } from '../test-support/fake-socket.ts';
import { conversation, me, message, other, summaries, testApi } from '../test-support/fixtures.ts';
import { startedClient } from '../test-support/started-client.ts';
import type { ChatClient } from './chat-client.ts';
import { typingTtl } from './typing.ts';

let socket: FakeSocket;
vi.mock('../realtime/gateway-socket.ts', () => ({
  connectGateway: () => socket,
  refusalCode: () => undefined,
}));

const list = summaries(1);
const conversationId = list[0]?.id ?? '';

async function connected(): Promise<ChatClient> {
  const client = await startedClient(testApi(list));
  socket.open();
  await vi.waitFor(() => expect(client.store.get().connection).toBe('online'));
  return client;
}

describe('server events', () => {
  beforeEach(() => {
    socket = new FakeSocket();
    localStorage.clear();
  });

  it('a message that mentions me counts as a mention, and its delivery is acknowledged', async () => {
    const client = await connected();
    socket.fire('message:received', { message: message(1, { conversationId, mentions: [me] }) });
    const held = client.store.get().conversations[conversationId];
    expect(held?.unreadMentions).toBe(1);
    expect(held?.lastMessage?.seq).toBe(1);
    expect(socket.emitted).toContainEqual({
      event: 'message:delivered',
      payload: { conversationId, seq: 1 },
    });
    client.stop();
  });

  it('typing shows until it lapses, and a disconnect clears it and goes offline', async () => {
    const client = await connected();
    socket.fire('typing', { conversationId, userId: other, isTyping: true });
    const until = client.store.get().typing[conversationId]?.[other] ?? 0;
    expect(until - Date.now()).toBeGreaterThan(typingTtl - 1_000);

    socket.fire('disconnect', 'transport close');
    expect(client.store.get().typing).toEqual({});
    expect(client.store.get().connection).toBe('offline');
    client.stop();
  });

  it('a profile change replaces the held profile, so the new name shows everywhere', async () => {
    const client = await connected();
    const user = {
      id: other,
      username: 'olga',
      displayName: 'Olga N.',
      createdAt: '2026-11-25T09:00:00.000Z',
    };
    socket.fire('user:updated', { user });
    expect(client.store.get().users[other]).toEqual(user);
    client.stop();
  });

  it('presence, blocks and mutes land in the state; being removed drops the conversation', async () => {
    const client = await connected();
    socket.fire('user:status', { userId: other, status: 'online', lastSeenAt: null });
    socket.fire('user:blocked', { userId: other, blocked: true });
    socket.fire('conversation:muted', { conversationId, muted: true });
    const state = client.store.get();
    expect(state.presence[other]).toEqual({ status: 'online', lastSeenAt: null });
    expect(state.blocked).toEqual([other]);
    expect(state.conversations[conversationId]?.muted).toBe(true);

    socket.fire('conversation:updated', {
      conversation: conversation({ id: conversationId }),
      removedUserIds: [me],
    });
    expect(client.store.get().conversations[conversationId]).toBeUndefined();
    client.stop();
  });
});
