import { act, render, screen } from '@testing-library/react';
import type { ReactNode } from 'react';
import { describe, expect, it } from 'vitest';
import type { ChatClient } from '../chat/chat-client.ts';
import { type ChatState, initialChatState } from '../chat/chat-state.ts';
import { ChatStore } from '../chat/chat-store.ts';
import { conversationState, me, other, users } from '../test-support/fixtures.ts';
import { ChatClientContext, shallowEqual, useChatState } from './use-chat.ts';

function setup(children: ReactNode) {
  const store = new ChatStore<ChatState>({ ...initialChatState(me), users });
  render(
    <ChatClientContext.Provider value={{ store } as unknown as ChatClient}>
      {children}
    </ChatClientContext.Provider>,
  );
  return store;
}

const renders: Record<string, number> = {};
const counted = (name: string) => {
  renders[name] = (renders[name] ?? 0) + 1;
};

function ConnectionProbe() {
  const connection = useChatState((state) => state.connection);
  counted('connection');
  return <p data-testid="connection">{connection}</p>;
}

function NamesProbe() {
  // A new object every call: equal slices must still count as unchanged.
  const { me: mine, users: known } = useChatState(
    (state) => ({ me: state.me, users: state.users }),
    shallowEqual,
  );
  counted('names');
  return <p data-testid="names">{known[mine]?.displayName}</p>;
}

function WholeProbe() {
  useChatState();
  counted('whole');
  return null;
}

const typing = (state: ChatState): ChatState => ({
  ...state,
  typing: { ...state.typing, c: { [other]: Date.now() + 6_000 } },
});

describe('useChatState(selector)', () => {
  it('re-renders a component only when the slice it selects changes', () => {
    for (const name of Object.keys(renders)) delete renders[name];
    const store = setup(
      <>
        <ConnectionProbe />
        <NamesProbe />
        <WholeProbe />
      </>,
    );
    expect(renders).toEqual({ connection: 1, names: 1, whole: 1 });

    // Typing, a new conversation and presence touch neither slice.
    act(() => store.update(typing));
    act(() => store.update((state) => ({ ...state, conversations: { c: conversationState([]) } })));
    act(() =>
      store.update((state) => ({
        ...state,
        presence: { [other]: { status: 'online', lastSeenAt: null } },
      })),
    );
    expect(renders).toEqual({ connection: 1, names: 1, whole: 4 });

    act(() => store.update((state) => ({ ...state, connection: 'online' })));
    expect(screen.getByTestId('connection').textContent).toBe('online');
    expect(renders).toEqual({ connection: 2, names: 1, whole: 5 });

    act(() =>
      store.update((state) => ({
        ...state,
        users: { ...state.users, [me]: { ...users[me], displayName: 'Renamed' } as (typeof users)[string] },
      })),
    );
    expect(screen.getByTestId('names').textContent).toBe('Renamed');
    expect(renders).toEqual({ connection: 2, names: 2, whole: 6 });
  });
});

describe('shallowEqual', () => {
  it('compares objects and arrays one level deep', () => {
    const list = [1];
    expect(shallowEqual({ a: 1, b: list }, { a: 1, b: list })).toBe(true);
    expect(shallowEqual({ a: 1, b: list }, { a: 1, b: [1] })).toBe(false);
    expect(shallowEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(shallowEqual({ a: 1, b: undefined }, { a: 1, c: undefined })).toBe(false);
    expect(shallowEqual(['x', 'y'], ['x', 'y'])).toBe(true);
    expect(shallowEqual(['x'], ['x', 'y'])).toBe(false);
    expect(shallowEqual<unknown>([], {})).toBe(false);
    expect(shallowEqual(Number.NaN, Number.NaN)).toBe(true);
    expect(shallowEqual<unknown>(null, {})).toBe(false);
  });
});
