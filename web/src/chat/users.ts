import type { ChatContext } from './chat-context.ts';
import type { ChatState } from './chat-state.ts';

/** Fetch profiles we have not seen, for names in lists and messages. */
export async function ensureUsers(context: ChatContext, ids: string[]): Promise<void> {
  const known = context.store.get().users;
  const missing = [...new Set(ids)].filter((id) => !known[id]);
  if (missing.length === 0) return;
  const found = await Promise.all(missing.map((id) => context.api.user(id).catch(() => null)));
  context.store.update((state) => {
    const users = { ...state.users };
    for (const user of found) if (user) users[user.id] = user;
    return { ...state, users };
  });
}

/** The people I blocked, once per start. */
export async function loadBlocks(context: ChatContext): Promise<void> {
  try {
    const { blocks } = await context.api.blocks();
    context.store.update((state) => ({ ...state, blocked: blocks.map((b) => b.userId) }));
  } catch {
    // Shown as not blocked until the next start; the server enforces blocks either way.
  }
}

export function withBlocked(state: ChatState, userId: string, blocked: boolean): ChatState {
  return {
    ...state,
    blocked: blocked ? [...new Set([...state.blocked, userId])] : state.blocked.filter((id) => id !== userId),
  };
}
