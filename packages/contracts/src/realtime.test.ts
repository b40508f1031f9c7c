import { TypeCompiler } from '@sinclair/typebox/compiler';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { registerFormats } from './formats.ts';
import type { Conversation, Message } from './messages.ts';
import { type ServerEventName, ServerEventPayloads, type ServerToClientEvents } from './realtime.ts';

registerFormats();

const id = (n: number) => n.toString(16).padStart(24, '0');
const at = '2026-11-25T17:00:00.000Z';

const message: Message = {
  id: id(1),
  conversationId: id(2),
  seq: 7,
  senderId: id(3),
  clientMessageId: 'c-1',
  kind: 'text',
  body: 'hello @bob',
  attachments: [],
  createdAt: at,
  editedAt: null,
  deletedAt: null,
  mentions: [id(4)],
  reactions: [{ emoji: '👍', userIds: [id(4)] }],
  replyTo: null,
  threadRootSeq: null,
  thread: null,
};

const conversation: Conversation = {
  id: id(2),
  type: 'group',
  title: 'Team',
  members: [{ userId: id(3), role: 'owner', joinedAt: at, lastReadSeq: 7, lastDeliveredSeq: 7 }],
  createdBy: id(3),
  lastSeq: 7,
  lastMessageAt: at,
  createdAt: at,
  updatedAt: at,
};

/** One payload per server→client event, as the gateway emits it. */
const valid: { [E in ServerEventName]: unknown[] } = {
  'message:received': [{ message }],
  'message:updated': [{ message: { ...message, editedAt: at }, changeSeq: 3 }],
  'message:deleted': [{ message: { ...message, body: null, deletedAt: at }, changeSeq: 4 }],
  'message:status': [
    { conversationId: id(2), userId: id(4), deliveredSeq: 7 },
    { conversationId: id(2), userId: id(4), readSeq: 0 },
  ],
  'user:status': [
    { userId: id(4), status: 'online', lastSeenAt: at },
    { userId: id(4), status: 'offline', lastSeenAt: null },
  ],
  typing: [{ conversationId: id(2), userId: id(4), isTyping: true }],
  'conversation:updated': [{ conversation }, { conversation, removedUserIds: [id(4)] }],
  'message:reaction': [
    {
      conversationId: id(2),
      messageId: id(1),
      seq: 7,
      emoji: '👍',
      userId: id(4),
      reacted: false,
      changeSeq: 5,
    },
  ],
  'message:thread': [
    {
      conversationId: id(2),
      rootId: id(1),
      rootSeq: 7,
      thread: { replyCount: 2, lastReplyAt: at, participantIds: [id(4)] },
      changeSeq: 6,
    },
  ],
  'conversation:muted': [{ conversationId: id(2), muted: true }],
  'user:blocked': [{ userId: id(4), blocked: false }],
  'user:updated': [
    { user: { id: id(4), username: 'ada', displayName: 'Ada L.', avatar: null, createdAt: at } },
    { user: { id: id(4), username: 'ada', displayName: 'Ada', avatar: { uploadId: id(9) }, createdAt: at } },
  ],
  'auth:expired': [{ expiredAt: at }],
};

/** Payloads a client must not take for the event: a field missing, of the wrong type or form. */
const invalid: { [E in ServerEventName]: unknown[] } = {
  'message:received': [
    {},
    { message: { ...message, seq: 0 } },
    { message: { ...message, createdAt: 'yesterday' } },
  ],
  'message:updated': [{ message }, { message, changeSeq: 0 }, { message, changeSeq: '3' }],
  'message:deleted': [{ changeSeq: 4 }, { message: { ...message, id: 'not-an-id' }, changeSeq: 4 }],
  'message:status': [
    { conversationId: id(2), deliveredSeq: 7 },
    { conversationId: id(2), userId: id(4), readSeq: -1 },
    { conversationId: id(2), userId: id(4), readSeq: 1.5 },
  ],
  'user:status': [
    { userId: id(4), status: 'away', lastSeenAt: null },
    { userId: id(4), status: 'online' },
    { userId: id(4), status: 'online', lastSeenAt: 'Tuesday' },
  ],
  typing: [
    { conversationId: id(2), userId: id(4), isTyping: 'yes' },
    { conversationId: id(2), isTyping: true },
  ],
  'conversation:updated': [
    { conversation: { ...conversation, type: 'channel' } },
    { conversation, removedUserIds: id(4) },
    { removedUserIds: [] },
  ],
  'message:reaction': [
    { conversationId: id(2), messageId: id(1), seq: 7, emoji: '👍', userId: id(4), reacted: true },
    {
      conversationId: id(2),
      messageId: id(1),
      seq: 0,
      emoji: '👍',
      userId: id(4),
      reacted: true,
      changeSeq: 5,
    },
  ],
  'message:thread': [
    { conversationId: id(2), rootId: id(1), rootSeq: 7, changeSeq: 6 },
    {
      conversationId: id(2),
      rootId: id(1),
      rootSeq: 7,
      thread: { replyCount: 0, lastReplyAt: at, participantIds: [] },
      changeSeq: 6,
    },
  ],
  'conversation:muted': [{ conversationId: id(2) }, { conversationId: id(2), muted: 1 }],
  'user:blocked': [{ blocked: true }, { userId: 'someone', blocked: true }],
  'user:updated': [
    {},
    { user: { id: id(4), username: 'ada' } },
    { user: { id: id(4), username: 'ada', displayName: 'Ada', avatar: { uploadId: 'x' }, createdAt: at } },
  ],
  'auth:expired': [{}, { expiredAt: 1764694800 }, { expiredAt: '2026-13-01T00:00:00Z' }],
};

describe('server→client payload schemas', () => {
  const events = Object.keys(ServerEventPayloads) as ServerEventName[];

  it('cover the same events as the samples', () => {
    expect(Object.keys(valid).sort()).toEqual([...events].sort());
    expect(Object.keys(invalid).sort()).toEqual([...events].sort());
  });

  for (const event of events) {
    const check = TypeCompiler.Compile(ServerEventPayloads[event]);

    it(`${event}: accept what the gateway emits`, () => {
      for (const payload of valid[event]) expect(check.Errors(payload).First()).toBeUndefined();
    });

    it(`${event}: refuse a payload missing a field or of the wrong type`, () => {
      for (const payload of invalid[event]) expect(check.Check(payload), JSON.stringify(payload)).toBe(false);
    });
  }

  it('let through fields added later', () => {
    const check = TypeCompiler.Compile(ServerEventPayloads['conversation:muted']);
    expect(check.Check({ conversationId: id(2), muted: true, mutedUntil: at })).toBe(true);
  });

  it('give the event map its payload types', () => {
    type Payload<E extends ServerEventName> = Parameters<ServerToClientEvents[E]>[0];
    expectTypeOf<Payload<'message:received'>>().toEqualTypeOf<{ message: Message }>();
    expectTypeOf<Payload<'message:updated'>>().toEqualTypeOf<{ message: Message; changeSeq: number }>();
    expectTypeOf<Payload<'message:status'>>().toEqualTypeOf<{
      conversationId: string;
      userId: string;
      deliveredSeq?: number;
      readSeq?: number;
    }>();
    expectTypeOf<Payload<'user:status'>>().toEqualTypeOf<{
      userId: string;
      status: 'online' | 'offline';
      lastSeenAt: string | null;
    }>();
    expectTypeOf<Payload<'conversation:updated'>>().toEqualTypeOf<{
      conversation: Conversation;
      removedUserIds?: string[];
    }>();
    expectTypeOf<Payload<'auth:expired'>>().toEqualTypeOf<{ expiredAt: string }>();
  });
});
