import { randomBytes, randomUUID } from 'node:crypto';
import type { EventEnvelope, EventType, Message } from '@palaver/contracts';

/** A new id as MongoDB makes them (24 hex digits). */
export const objectIdHex = () => randomBytes(12).toString('hex');

/**
 * A text message as the message service stores and publishes it, for events a test or
 * benchmark publishes itself; `fields` override the defaults (new ids, seq 1, now).
 */
export function storedMessage(fields: Partial<Message> = {}): Message {
  return {
    id: objectIdHex(),
    conversationId: objectIdHex(),
    seq: 1,
    senderId: objectIdHex(),
    clientMessageId: randomUUID(),
    kind: 'text',
    body: 'a message',
    attachments: [],
    createdAt: new Date().toISOString(),
    editedAt: null,
    deletedAt: null,
    mentions: [],
    reactions: [],
    replyTo: null,
    threadRootSeq: null,
    thread: null,
    ...fields,
  };
}

/** An event as a service's broker publishes it, for writing one straight onto an exchange. */
export function eventEnvelope<T extends EventType>(
  type: T,
  data: EventEnvelope<T>['data'],
): EventEnvelope<T> {
  return { id: randomUUID(), type, version: 1, occurredAt: new Date().toISOString(), data };
}
