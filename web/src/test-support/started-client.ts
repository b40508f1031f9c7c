import { expect, vi } from 'vitest';
import type { PalaverApi } from '../api/palaver-api.ts';
import { ChatClient } from '../chat/chat-client.ts';
import { testAuth } from './fixtures.ts';

/** A chat client signed in as `me` over `api`, started, once its conversation list is in. */
export async function startedClient(api: PalaverApi): Promise<ChatClient> {
  const client = new ChatClient(testAuth(), api);
  client.start();
  await vi.waitFor(() => expect(client.store.get().listStatus).toBe('ready'));
  return client;
}
