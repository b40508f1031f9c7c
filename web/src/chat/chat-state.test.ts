import { describe, expect, it } from 'vitest';
import { conversation, conversationState, me, message, other, users } from '../test-support/fixtures.ts';
import {
  byActivity,
  mergeContiguous,
  ownMessageStatus,
  systemText,
  unreadCount,
  withMessages,
  withReaction,
  withReceipt,
} from './chat-state.ts';

describe('chat state', () => {
  it('merges by seq: duplicates are stored once, edits and tombstones win in any order', () => {
    const edited = message(2, { body: 'edited', editedAt: '2026-11-25T11:00:00.000Z' });
    const merged = mergeContiguous([message(1), edited], [message(2), message(3), message(1)]);
    expect(merged.map((m) => [m.seq, m.body])).toEqual([
      [1, 'message 1'],
      [2, 'edited'],
      [3, 'message 3'],
    ]);
    const deleted = message(3, { body: null, deletedAt: '2026-11-25T12:00:00.000Z' });
    expect(mergeContiguous(merged, [deleted]).at(-1)?.deletedAt).not.toBeNull();
    expect(mergeContiguous([deleted], [message(3)])[0]?.deletedAt).not.toBeNull();
  });

  it('never holds a gap: a message past the tail moves lastSeq but waits for the run before it', () => {
    const state = withMessages(conversationState([message(1), message(2)]), [message(5)]);
    expect(state.messages.map((m) => m.seq)).toEqual([1, 2]);
    expect(state.conversation.lastSeq).toBe(5);
    expect(state.lastMessage?.seq).toBe(5);
    const filled = withMessages(state, [message(4), message(3), message(5)]);
    expect(filled.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('derives own message status from the other members’ marks', () => {
    let state = conversationState([message(1, { senderId: me }), message(2, { senderId: me })]);
    expect(ownMessageStatus(state, me, 1)).toBe('sent');
    state = withReceipt(state, other, { deliveredSeq: 2 });
    expect(ownMessageStatus(state, me, 2)).toBe('delivered');
    state = withReceipt(state, other, { readSeq: 1 });
    expect(ownMessageStatus(state, me, 1)).toBe('read');
    expect(ownMessageStatus(state, me, 2)).toBe('delivered');
    // Marks never move back.
    state = withReceipt(state, other, { readSeq: 0, deliveredSeq: 0 });
    expect(ownMessageStatus(state, me, 1)).toBe('read');
  });

  it('counts unread from lastSeq and the own read mark, and orders by activity', () => {
    const state = conversationState([message(1), message(2), message(3)]);
    expect(unreadCount(state, me)).toBe(3);
    expect(unreadCount(withReceipt(state, me, { readSeq: 2 }), me)).toBe(1);
    const quiet = conversationState([], {}, conversation({ id: 'b'.repeat(24) }));
    expect([quiet, state].sort(byActivity)[0]).toBe(state);
  });

  it('never counts my own messages as unread: a message I send reads up to it', () => {
    const state = withMessages(conversationState([message(1), message(2)]), [message(3, { senderId: me })]);
    expect(unreadCount(state, me)).toBe(0);
    expect(unreadCount(withMessages(state, [message(4)]), me)).toBe(1);
  });

  it('applies reaction changes in any order across people, once per person and emoji', () => {
    let state = conversationState([message(1)]);
    const change = (userId: string, emoji: string, reacted: boolean) =>
      (state = withReaction(state, { seq: 1, emoji, userId, reacted }));
    change(other, '👍', true);
    change(me, '👍', true);
    change(me, '👍', true);
    change(me, '🎉', true);
    expect(state.messages[0]?.reactions).toEqual([
      { emoji: '👍', userIds: [other, me] },
      { emoji: '🎉', userIds: [me] },
    ]);
    change(other, '👍', false);
    change(me, '🎉', false);
    expect(state.messages[0]?.reactions).toEqual([{ emoji: '👍', userIds: [me] }]);
    expect(state.lastMessage?.reactions).toEqual([{ emoji: '👍', userIds: [me] }]);
  });
});

describe('systemText', () => {
  const system = (body: object) => message(1, { kind: 'system', body: JSON.stringify(body) });
  it('names who did what to whom, "you" for the reader', () => {
    expect(systemText(system({ event: 'member_added', by: other, userIds: [me] }), me, users)).toBe(
      'Olga added you',
    );
    expect(systemText(system({ event: 'owner_changed', by: me, userIds: [other] }), me, users)).toBe(
      'You made Olga the owner',
    );
    expect(systemText(system({ event: 'member_left', by: other, userIds: [other] }), me, users)).toBe(
      'Olga left',
    );
    expect(systemText(message(1, { kind: 'system', body: '{' }), me, users)).toBe('The group changed');
  });
});
