import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTypingTracker } from './typing-tracker.ts';

describe('typing tracker', () => {
  let relayed: [string, boolean][];
  beforeEach(() => {
    vi.useFakeTimers();
    relayed = [];
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const tracker = () =>
    createTypingTracker({
      ttlMs: 5000,
      throttleMs: 2000,
      relay: (conversationId, isTyping) => relayed.push([conversationId, isTyping]),
      now: () => Date.now(),
    });

  it('relays typing once per throttle window while renewals keep coming', () => {
    const typing = tracker();
    for (let i = 0; i < 10; i++) {
      typing.update('c1', true);
      vi.advanceTimersByTime(300);
    }
    expect(relayed).toEqual([
      ['c1', true],
      ['c1', true],
    ]);
  });

  it('stops by itself after the ttl without a renewal, once', () => {
    const typing = tracker();
    typing.update('c1', true);
    vi.advanceTimersByTime(4999);
    expect(relayed).toEqual([['c1', true]]);
    vi.advanceTimersByTime(1);
    expect(relayed).toEqual([
      ['c1', true],
      ['c1', false],
    ]);
    vi.advanceTimersByTime(60_000);
    expect(relayed).toHaveLength(2);
  });

  it('ignores a stop for a conversation not being typed in, and stops all on request', () => {
    const typing = tracker();
    typing.update('c1', false);
    typing.update('c1', true);
    typing.update('c2', true);
    typing.stopAll();
    expect(relayed).toEqual([
      ['c1', true],
      ['c2', true],
      ['c1', false],
      ['c2', false],
    ]);
    vi.advanceTimersByTime(10_000);
    expect(relayed).toHaveLength(4);
  });
});
