import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeSocket } from '../test-support/fake-socket.ts';
import { id, me, other, testContext } from '../test-support/fixtures.ts';
import { initialChatState } from './chat-state.ts';
import { TypingSignal, typingRenewal, typingTtl, withoutLapsedTyping, withTyping } from './typing.ts';

const conversationId = id(100);

function signal(connected = true) {
  const socket = new FakeSocket();
  socket.connected = connected;
  const context = testContext(socket);
  const told = () =>
    socket.emitted.filter((emitted) => emitted.event === 'typing').map((emitted) => emitted.payload);
  return { socket, typing: new TypingSignal(context), told };
}

afterEach(() => vi.useRealTimers());

describe('my typing signal', () => {
  it('tells "typing" at most once per renewal period, and "stopped" once', () => {
    vi.useFakeTimers();
    const { typing, told } = signal();
    typing.set(conversationId, false); // never said "typing": nothing to stop
    typing.set(conversationId, true);
    typing.set(conversationId, true);
    vi.advanceTimersByTime(typingRenewal - 1);
    typing.set(conversationId, true);
    expect(told()).toEqual([{ conversationId, isTyping: true }]);

    vi.advanceTimersByTime(1);
    typing.set(conversationId, true);
    typing.set(conversationId, false);
    typing.set(conversationId, false);
    expect(told()).toEqual([
      { conversationId, isTyping: true },
      { conversationId, isTyping: true },
      { conversationId, isTyping: false },
    ]);
  });

  it('says nothing while disconnected, and starts afresh on a new connection', () => {
    vi.useFakeTimers();
    const offline = signal(false);
    offline.typing.set(conversationId, true);
    expect(offline.told()).toEqual([]);

    const { typing, told } = signal();
    typing.set(conversationId, true);
    typing.reset();
    typing.set(conversationId, true); // within the renewal period, but the gateway forgot it
    expect(told()).toHaveLength(2);
  });
});

describe('typing indicators', () => {
  it('shows someone typing until the indicator lapses, and hides it when they stop', () => {
    const start = initialChatState(me);
    const typing = withTyping(start, { conversationId, userId: other, isTyping: true }, 1_000);
    expect(typing.typing).toEqual({ [conversationId]: { [other]: 1_000 + typingTtl } });
    const stopped = withTyping(typing, { conversationId, userId: other, isTyping: false }, 2_000);
    expect(stopped.typing).toEqual({ [conversationId]: {} });
  });

  it('drops lapsed indicators only, and keeps the same state when none lapsed', () => {
    const third = id(3);
    let state = withTyping(initialChatState(me), { conversationId, userId: other, isTyping: true }, 0);
    state = withTyping(state, { conversationId, userId: third, isTyping: true }, 1_000);
    expect(withoutLapsedTyping(state, typingTtl - 1)).toBe(state);
    const lapsed = withoutLapsedTyping(state, typingTtl);
    expect(lapsed.typing).toEqual({ [conversationId]: { [third]: 1_000 + typingTtl } });
  });
});
