/**
 * One socket's typing state: relays `isTyping: true` at most once per throttle window,
 * stops by itself after `ttlMs` without a renewal (a client that vanished or never sent
 * `isTyping: false`), and stops everything when the socket goes. Never stored.
 */
export interface TypingTracker {
  update(conversationId: string, isTyping: boolean): void;
  stopAll(): void;
}

interface Typing {
  relayedAt: number;
  expiry: NodeJS.Timeout;
}

export function createTypingTracker(options: {
  ttlMs: number;
  throttleMs: number;
  relay: (conversationId: string, isTyping: boolean) => void;
  now?: () => number;
}): TypingTracker {
  const { ttlMs, throttleMs, relay } = options;
  const now = options.now ?? Date.now;
  const active = new Map<string, Typing>();

  function stop(conversationId: string) {
    const typing = active.get(conversationId);
    if (!typing) return;
    clearTimeout(typing.expiry);
    active.delete(conversationId);
    relay(conversationId, false);
  }

  return {
    update(conversationId, isTyping) {
      if (!isTyping) return stop(conversationId);
      const typing = active.get(conversationId);
      const expiry = setTimeout(() => stop(conversationId), ttlMs);
      if (typing) {
        clearTimeout(typing.expiry);
        typing.expiry = expiry;
        if (now() - typing.relayedAt < throttleMs) return;
        typing.relayedAt = now();
      } else {
        active.set(conversationId, { relayedAt: now(), expiry });
      }
      relay(conversationId, true);
    },
    stopAll() {
      for (const conversationId of [...active.keys()]) stop(conversationId);
    },
  };
}
