import type { Message, Upload } from '@palaver/contracts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeSocket } from '../test-support/fake-socket.ts';
import { id, me, message, testContext } from '../test-support/fixtures.ts';
import type { PendingMessage } from './chat-state.ts';
import { Outbox, outboxKey, pendingMessage, readOutbox, sendPayload } from './outbox.ts';

const conversationId = id(100);
const stored = () => JSON.parse(localStorage.getItem(outboxKey(me)) ?? 'null') as PendingMessage[] | null;

function setup() {
  const socket = new FakeSocket();
  const context = testContext(socket);
  const sent: Message[] = [];
  const outbox = new Outbox(context, (acked) => {
    sent.push(acked);
    // As the client's receive does: the acked message settles its pending copy.
    context.store.update((state) => ({
      ...state,
      pending: state.pending.filter((pending) => pending.clientMessageId !== acked.clientMessageId),
    }));
  });
  const pending = () => context.store.get().pending;
  /** The server stores whatever it is sent. */
  const storedAck = (payload: unknown) => {
    const { clientMessageId, body } = payload as { clientMessageId: string; body?: string };
    return { ok: true, message: message(1, { senderId: me, clientMessageId, body: body ?? null }) };
  };
  return { socket, context, outbox, sent, pending, storedAck };
}

const refusal =
  (code: string, text = 'no') =>
  () => ({ ok: false, error: { code, message: text } });
const lostAck = () => {
  throw new Error('operation has timed out');
};
const sentBodies = (socket: FakeSocket) =>
  socket.payloads<{ body?: string }>('message:send').map((payload) => payload.body);

beforeEach(() => localStorage.clear());
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('outbox entries', () => {
  it('trims the text and keeps nothing blank without uploads', () => {
    expect(pendingMessage(conversationId, '   \n ', [])).toBeNull();
    const entry = pendingMessage(conversationId, '  hello  ', []);
    expect(entry).toMatchObject({ conversationId, body: 'hello', attachments: [] });
    expect(entry?.clientMessageId).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(pendingMessage(conversationId, 'again', [])?.clientMessageId).not.toBe(entry?.clientMessageId);
  });

  it('keeps attachment details for display but sends upload ids only', () => {
    const photo = { id: id(7), name: 'a.png', mime: 'image/png', size: 10, width: 4, height: 3 } as Upload;
    const file = { id: id(8), name: 'b.pdf', mime: 'application/pdf', size: 20 } as Upload;
    const entry = pendingMessage(conversationId, '', [photo, file]);
    expect(entry?.body).toBeUndefined();
    expect(entry?.attachments).toEqual([
      { uploadId: id(7), name: 'a.png', mime: 'image/png', size: 10, width: 4, height: 3 },
      { uploadId: id(8), name: 'b.pdf', mime: 'application/pdf', size: 20 },
    ]);
    expect(sendPayload(entry as PendingMessage)).toEqual({
      conversationId,
      clientMessageId: entry?.clientMessageId,
      attachments: [{ uploadId: id(7) }, { uploadId: id(8) }],
    });
  });
});

describe('outbox persistence', () => {
  it('keeps the queue in localStorage per person, and reads it back', () => {
    const { outbox, pending } = setup();
    expect(outbox.add(conversationId, 'one', [])).toBe(true);
    expect(outbox.add(conversationId, '  ', [])).toBe(false);
    outbox.add(conversationId, 'two', []);
    expect(stored()).toEqual(pending());
    expect(readOutbox(me)).toEqual(pending());
    expect(readOutbox(id(9))).toEqual([]);
  });

  it('reads an unreadable outbox as empty, and keeps working in memory when storage refuses', () => {
    localStorage.setItem(outboxKey(me), '{not json');
    expect(readOutbox(me)).toEqual([]);

    const { outbox, pending } = setup();
    vi.spyOn(Storage.prototype, 'setItem').mockImplementation(() => {
      throw new DOMException('full', 'QuotaExceededError');
    });
    expect(() => outbox.add(conversationId, 'kept in memory', [])).not.toThrow();
    expect(pending().map((entry) => entry.body)).toEqual(['kept in memory']);
  });

  it('discards one message, and clears all of them from memory and storage', () => {
    const { outbox, pending } = setup();
    outbox.add(conversationId, 'one', []);
    outbox.add(conversationId, 'two', []);
    outbox.discard(pending()[0]?.clientMessageId ?? '');
    expect(pending().map((entry) => entry.body)).toEqual(['two']);
    expect(stored()?.map((entry) => entry.body)).toEqual(['two']);

    outbox.clear();
    expect(pending()).toEqual([]);
    expect(localStorage.getItem(outboxKey(me))).toBeNull();
  });
});

describe('outbox sending', () => {
  it('sends one at a time, in order, only while connected', async () => {
    const { socket, outbox, sent, pending, storedAck } = setup();
    outbox.add(conversationId, 'one', []);
    outbox.add(conversationId, 'two', []);
    await outbox.flush();
    expect(socket.asked).toEqual([]); // not connected yet

    socket.connected = true;
    socket.answer('message:send', storedAck, storedAck);
    await outbox.flush();
    expect(sentBodies(socket)).toEqual(['one', 'two']);
    expect(sent.map((acked) => acked.body)).toEqual(['one', 'two']);
    expect(pending()).toEqual([]);
  });
});

describe('outbox retries', () => {
  it('backs off with jitter after overload answers, doubling, and starts over after a success', async () => {
    vi.useFakeTimers();
    vi.spyOn(Math, 'random').mockReturnValue(0); // the lower bound: 0.5 s, 1 s, 2 s…
    const { socket, outbox, pending, storedAck } = setup();
    socket.connected = true;
    socket.answer('message:send', refusal('rate_limited'), refusal('unavailable'), storedAck);
    outbox.add(conversationId, 'one', []);
    await outbox.flush();
    expect(sentBodies(socket)).toEqual(['one']);

    await vi.advanceTimersByTimeAsync(499);
    expect(sentBodies(socket)).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sentBodies(socket)).toHaveLength(2); // refused again: now it waits 1 s
    await vi.advanceTimersByTimeAsync(999);
    expect(sentBodies(socket)).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(sentBodies(socket)).toEqual(['one', 'one', 'one']);
    expect(pending()).toEqual([]);

    // The success reset the count: the next refusal waits the first step again.
    socket.answer('message:send', refusal('internal'), storedAck);
    outbox.add(conversationId, 'two', []);
    await outbox.flush();
    await vi.advanceTimersByTimeAsync(500);
    expect(sentBodies(socket)).toEqual(['one', 'one', 'one', 'two', 'two']);
    expect(pending()).toEqual([]);
  });

  it('sends a message whose ack was lost again with the same clientMessageId, unless disconnected', async () => {
    vi.useFakeTimers();
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const { socket, outbox, pending, storedAck } = setup();
    socket.connected = true;
    socket.answer('message:send', lostAck, storedAck);
    outbox.add(conversationId, 'one', []);
    await outbox.flush();
    await vi.advanceTimersByTimeAsync(500);
    const ids = socket.payloads<{ clientMessageId: string }>('message:send').map((p) => p.clientMessageId);
    expect(ids).toHaveLength(2);
    expect(ids[1]).toBe(ids[0]);
    expect(pending()).toEqual([]);

    // Lost with the connection: nothing is scheduled, the next connect sends it.
    socket.answer('message:send', () => {
      socket.connected = false;
      throw new Error('disconnected');
    });
    outbox.add(conversationId, 'two', []);
    await outbox.flush();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sentBodies(socket)).toEqual(['one', 'one', 'two']);
    expect(pending().map((entry) => entry.body)).toEqual(['two']);
  });

  it('marks a message refused for good, goes on with the next, and sends it again on retry', async () => {
    const { socket, outbox, pending, storedAck } = setup();
    socket.connected = true;
    socket.answer('message:send', refusal('forbidden', 'You are not a member'), storedAck);
    outbox.add(conversationId, 'one', []);
    outbox.add(conversationId, 'two', []);
    await outbox.flush();
    expect(sentBodies(socket)).toEqual(['one', 'two']);
    expect(pending()).toHaveLength(1);
    expect(pending()[0]).toMatchObject({ body: 'one', error: 'You are not a member' });
    expect(stored()?.[0]?.error).toBe('You are not a member');

    socket.answer('message:send', storedAck);
    outbox.retry(pending()[0]?.clientMessageId ?? '');
    await vi.waitFor(() => expect(pending()).toEqual([]));
    expect(sentBodies(socket)).toEqual(['one', 'two', 'one']);
  });

  it('sends nothing after clear, even a retry that was waiting', async () => {
    vi.useFakeTimers();
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const { socket, outbox } = setup();
    socket.connected = true;
    socket.answer('message:send', refusal('rate_limited'));
    outbox.add(conversationId, 'one', []);
    await outbox.flush();
    outbox.clear();
    outbox.add(conversationId, 'two', []); // queued after logout: waits for an explicit flush
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sentBodies(socket)).toEqual(['one']);
  });
});
