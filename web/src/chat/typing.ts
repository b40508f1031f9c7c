import { type ChatContext, connectedSocket } from './chat-context.ts';
import type { ChatState } from './chat-state.ts';

/** A typing indicator lapses after this without a renewal. */
export const typingTtl = 6_000;
/** While typing goes on, "typing" is told again at most this often. */
export const typingRenewal = 2_500;

/**
 * My side of the typing indicator: "typing" at most every {@link typingRenewal}, and
 * "stopped" once, per conversation.
 */
export class TypingSignal {
  private readonly context: ChatContext;
  /** conversationId → when "typing" last went out (0: "stopped" did). */
  private readonly sent = new Map<string, number>();

  constructor(context: ChatContext) {
    this.context = context;
  }

  /** Tell the others "typing" at most every few seconds, and "stopped" once. */
  set(conversationId: string, isTyping: boolean): void {
    const socket = connectedSocket(this.context);
    if (!socket) return;
    const last = this.sent.get(conversationId) ?? 0;
    if (isTyping && Date.now() - last < typingRenewal) return;
    if (!isTyping && last === 0) return;
    this.sent.set(conversationId, isTyping ? Date.now() : 0);
    socket.emit('typing', { conversationId, isTyping }, () => {});
  }

  /** A new connection: the gateway forgot what this one told it. */
  reset(): void {
    this.sent.clear();
  }
}

/** Someone started or stopped typing: their indicator shows until `now` + {@link typingTtl}. */
export function withTyping(
  state: ChatState,
  event: { conversationId: string; userId: string; isTyping: boolean },
  now: number,
): ChatState {
  const entries = { ...(state.typing[event.conversationId] ?? {}) };
  if (event.isTyping) entries[event.userId] = now + typingTtl;
  else delete entries[event.userId];
  return { ...state, typing: { ...state.typing, [event.conversationId]: entries } };
}

/** Drops indicators that lapsed by `now`; the same state when none did. */
export function withoutLapsedTyping(state: ChatState, now: number): ChatState {
  let changed = false;
  const typing: ChatState['typing'] = {};
  for (const [conversationId, entries] of Object.entries(state.typing)) {
    const live = Object.fromEntries(Object.entries(entries).filter(([, until]) => until > now));
    if (Object.keys(live).length !== Object.keys(entries).length) changed = true;
    typing[conversationId] = live;
  }
  return changed ? { ...state, typing } : state;
}
