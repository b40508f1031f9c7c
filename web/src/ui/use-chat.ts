import { createContext, useContext, useRef, useSyncExternalStore } from 'react';
import type { ChatClient } from '../chat/chat-client.ts';
import type { ChatState } from '../chat/chat-state.ts';

export const ChatClientContext = createContext<ChatClient | null>(null);

export function useChatClient(): ChatClient {
  const client = useContext(ChatClientContext);
  if (!client) throw new Error('useChatClient outside ChatClientContext');
  return client;
}

const wholeState = (state: ChatState) => state;

/**
 * The slice of the chat state a component shows: it re-renders only when that slice
 * changes, by `isEqual` (`Object.is` unless told; {@link shallowEqual} for a selector that
 * builds an object or array). Without a selector, the whole state: a re-render on every
 * change, typing included.
 */
export function useChatState(): ChatState;
export function useChatState<T>(select: (state: ChatState) => T, isEqual?: (a: T, b: T) => boolean): T;
export function useChatState<T>(
  select: (state: ChatState) => T = wholeState as (state: ChatState) => T,
  isEqual: (a: T, b: T) => boolean = Object.is,
): T {
  const { store } = useChatClient();
  // The last selection, kept while equal, so an unrelated change leaves the snapshot as it was.
  const last = useRef<{ state: ChatState; select: typeof select; value: T } | null>(null);
  const selection = (): T => {
    const state = store.get();
    const held = last.current;
    if (held && held.state === state && held.select === select) return held.value;
    const next = select(state);
    const value = held && isEqual(held.value, next) ? held.value : next;
    last.current = { state, select, value };
    return value;
  };
  return useSyncExternalStore(store.subscribe, selection);
}

/** Equal when both are the same, or objects (arrays too) with the same keys and `Object.is` values. */
export function shallowEqual<T>(a: T, b: T): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every(
    (key) =>
      Object.hasOwn(b, key) &&
      Object.is((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
  );
}
