import { createContext, useContext, useSyncExternalStore } from 'react';
import type { ChatClient } from '../chat/chat-client.ts';
import type { ChatState } from '../chat/chat-state.ts';

export const ChatClientContext = createContext<ChatClient | null>(null);

export function useChatClient(): ChatClient {
  const client = useContext(ChatClientContext);
  if (!client) throw new Error('useChatClient outside ChatClientContext');
  return client;
}

/** The whole chat state; components derive what they show with useMemo. */
export function useChatState(): ChatState {
  const client = useChatClient();
  return useSyncExternalStore(client.store.subscribe, client.store.get);
}
