import type { Ack, Attachment, ClientEventPayload, Message, Upload } from '@palaver/contracts';
import { fileFacts } from '@palaver/contracts';
import { ApiError, describeError } from '../api/api-error.ts';
import { retryBackoff } from './backoff.ts';
import { ackTimeout, type ChatContext, myId } from './chat-context.ts';
import type { PendingMessage } from './chat-state.ts';

/** What a message may point at: the message it quotes, the thread it posts in. */
export type MessageRefs = Pick<PendingMessage, 'replyToSeq' | 'threadRootSeq'>;

/** Answers that mean "not now" rather than "never": the message goes again after a backoff. */
const passingRefusals = ['rate_limited', 'unavailable', 'internal'];

/**
 * Messages typed here that the server has not stored yet. They go out one at a time, in
 * order, while connected, each with its own clientMessageId, so a retry can never double a
 * message; after an overload answer or a lost ack the outbox backs off ({@link retryBackoff}).
 * It survives a reload (localStorage), so a message typed offline is not lost with the tab.
 */
export class Outbox {
  private readonly context: ChatContext;
  /** Called with each message the server acked, so it replaces its pending copy. */
  private readonly onSent: (message: Message) => void;
  private flushing = false;
  /** Overload answers or lost acks in a row, for the backoff. */
  private failures = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(context: ChatContext, onSent: (message: Message) => void) {
    this.context = context;
    this.onSent = onSent;
  }

  /** Queues a message; false when there is nothing to send (blank text, no uploads). */
  add(conversationId: string, body: string, uploads: Upload[], refs: MessageRefs = {}): boolean {
    const pending = pendingMessage(conversationId, body, uploads, refs);
    if (!pending) return false;
    this.context.store.update((state) => ({ ...state, pending: [...state.pending, pending] }));
    this.save();
    return true;
  }

  /** Sends a message the server refused again (it clears the refusal). */
  retry(clientMessageId: string): void {
    this.context.store.update((state) => ({
      ...state,
      pending: state.pending.map((pending) => {
        if (pending.clientMessageId !== clientMessageId) return pending;
        const { error: _error, ...rest } = pending;
        return rest;
      }),
    }));
    void this.flush();
  }

  discard(clientMessageId: string): void {
    this.context.store.update((state) => ({
      ...state,
      pending: state.pending.filter((pending) => pending.clientMessageId !== clientMessageId),
    }));
    this.save();
  }

  /** Forgets every unsent message (at logout), so none is sent at the next sign-in. */
  clear(): void {
    clearTimeout(this.retryTimer);
    this.context.store.update((state) => ({ ...state, pending: [] }));
    try {
      localStorage.removeItem(outboxKey(myId(this.context)));
    } catch {
      // Storage denied: nothing was kept there either.
    }
  }

  /** Writes the outbox to storage; called after every change to `pending`. */
  save(): void {
    try {
      localStorage.setItem(outboxKey(myId(this.context)), JSON.stringify(this.context.store.get().pending));
    } catch {
      // Storage full or denied: the outbox still lives in memory.
    }
  }

  stop(): void {
    clearTimeout(this.retryTimer);
  }

  /** Send queued messages one at a time, in order, while connected. */
  async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (;;) {
        const socket = this.context.socket;
        const next = this.context.store.get().pending.find((pending) => !pending.error);
        if (!next || !socket?.connected) return;
        let ack: Ack<{ message: Message }>;
        try {
          ack = await socket.timeout(ackTimeout).emitWithAck('message:send', sendPayload(next));
        } catch {
          // No ack in time: the same clientMessageId goes again, after a backoff or the next connect.
          if (socket.connected) this.retryLater();
          return;
        }
        if (ack.ok) {
          this.failures = 0;
          this.onSent(ack.message);
          continue;
        }
        if (passingRefusals.includes(ack.error.code)) {
          this.retryLater();
          return;
        }
        this.refused(next, describeError(new ApiError(ack.error.code, ack.error.message, 0)));
      }
    } finally {
      this.flushing = false;
    }
  }

  private retryLater(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.flush(), retryBackoff(this.failures++));
  }

  /** Refused for good: it stays, marked, until the person retries or discards it. */
  private refused(message: PendingMessage, error: string): void {
    this.context.store.update((state) => ({
      ...state,
      pending: state.pending.map((pending) => (pending === message ? { ...pending, error } : pending)),
    }));
    this.save();
  }
}

export function outboxKey(me: string): string {
  return `palaver.outbox.${me}`;
}

/** The outbox a previous tab left; empty when there is none or it cannot be read. */
export function readOutbox(me: string): PendingMessage[] {
  try {
    return JSON.parse(localStorage.getItem(outboxKey(me)) ?? '[]') as PendingMessage[];
  } catch {
    return [];
  }
}

/** A new outbox entry, or null when there is nothing to send. */
export function pendingMessage(
  conversationId: string,
  body: string,
  uploads: Upload[],
  refs: MessageRefs = {},
): PendingMessage | null {
  const text = body.trim();
  if (!text && uploads.length === 0) return null;
  const attachments: Attachment[] = uploads.map((upload) => ({
    uploadId: upload.id,
    ...fileFacts(upload),
  }));
  return {
    conversationId,
    clientMessageId: newClientMessageId(),
    ...(text ? { body: text } : {}),
    attachments,
    ...refs,
    createdAt: new Date().toISOString(),
  };
}

/** What `message:send` carries: attachments by upload id only. */
export function sendPayload(pending: PendingMessage): ClientEventPayload<'message:send'> {
  return {
    conversationId: pending.conversationId,
    clientMessageId: pending.clientMessageId,
    ...(pending.body ? { body: pending.body } : {}),
    ...(pending.attachments.length
      ? { attachments: pending.attachments.map((attachment) => ({ uploadId: attachment.uploadId })) }
      : {}),
    ...(pending.replyToSeq ? { replyToSeq: pending.replyToSeq } : {}),
    ...(pending.threadRootSeq ? { threadRootSeq: pending.threadRootSeq } : {}),
  };
}

/** Unique per sender; `crypto.randomUUID` needs a secure context, so fall back to random bytes. */
function newClientMessageId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) =>
    byte.toString(16).padStart(2, '0'),
  ).join('');
}
