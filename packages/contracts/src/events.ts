import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { PublicUser } from './auth.ts';
import { Attachment, Conversation, Message, ReactionChange, ThreadChange } from './messages.ts';
import { IsoDateTime, ObjectIdString } from './primitives.ts';

export const SessionRevoked = Type.Object({
  sessionId: Type.String(),
  userId: ObjectIdString,
  reason: Type.Union([Type.Literal('logout'), Type.Literal('refresh_reuse')]),
  revokedAt: IsoDateTime,
});

/** Every event the gateway routes carries the ids of the members to deliver it to. */
const Audience = { memberIds: Type.Array(ObjectIdString) };

const MessageEvent = Type.Object({ message: Message, ...Audience });
/** A change to a stored message carries its number in the conversation's changes. */
const MessageChangeEvent = Type.Object({
  message: Message,
  changeSeq: Type.Integer({ minimum: 1 }),
  ...Audience,
});
const ConversationEvent = Type.Object({ conversation: Conversation, ...Audience });

export const UploadCreated = Type.Object({
  upload: Type.Object({ ...Attachment.properties, uploaderId: ObjectIdString }),
});

/**
 * The broker event catalogue: one entry per `domain.action` routing key, each with the
 * version and schema of its payload. Consumers (`@palaver/events`) drop an event of a
 * version they do not know or whose `data` does not match its schema.
 */
export const EventCatalogue = {
  'auth.session.revoked': { version: 1, data: SessionRevoked },
  'message.created': { version: 1, data: MessageEvent },
  'message.updated': { version: 1, data: MessageChangeEvent },
  'message.deleted': { version: 1, data: MessageChangeEvent },
  /** A stored message as it is now, republished for a read model to rebuild from; no client gets it. */
  'message.snapshot': { version: 1, data: Type.Object({ message: Message }) },
  'message.delivered': {
    version: 1,
    data: Type.Object({
      conversationId: ObjectIdString,
      userId: ObjectIdString,
      deliveredSeq: Type.Integer(),
      ...Audience,
    }),
  },
  'conversation.created': { version: 1, data: ConversationEvent },
  'conversation.updated': { version: 1, data: ConversationEvent },
  'conversation.member_added': {
    version: 1,
    data: Type.Object({
      conversation: Conversation,
      userIds: Type.Array(ObjectIdString),
      by: ObjectIdString,
      ...Audience,
    }),
  },
  'conversation.member_removed': {
    version: 1,
    data: Type.Object({
      conversation: Conversation,
      userId: ObjectIdString,
      /** When the membership that ended began: tells one membership of a user from a later one. */
      joinedAt: IsoDateTime,
      by: ObjectIdString,
      /**
       * Remaining members who still share another conversation with the removed one, each
       * with the member count of the smallest such: the gateways stop presence between the
       * others (absent in events recorded before it existed: presence is then left as it is).
       */
      stillShared: Type.Optional(Type.Record(ObjectIdString, Type.Integer({ minimum: 2 }))),
      ...Audience,
    }),
  },
  'conversation.read': {
    version: 1,
    data: Type.Object({
      conversationId: ObjectIdString,
      userId: ObjectIdString,
      readSeq: Type.Integer(),
      ...Audience,
    }),
  },
  'message.reaction': {
    version: 1,
    data: Type.Object({ ...ReactionChange.properties, ...Audience }),
  },
  'message.thread': {
    version: 1,
    data: Type.Object({ ...ThreadChange.properties, ...Audience }),
  },
  'conversation.muted': {
    version: 1,
    data: Type.Object({
      conversationId: ObjectIdString,
      userId: ObjectIdString,
      muted: Type.Boolean(),
      /** Only the user who muted it (their other devices). */
      ...Audience,
    }),
  },
  'user.blocked': {
    version: 1,
    data: Type.Object({
      blockerId: ObjectIdString,
      blockedId: ObjectIdString,
      /** True: blocked; false: unblocked. */
      blocked: Type.Boolean(),
      /** On unblocking: the member count of the smallest conversation they share (presence resumes up to a size). */
      sharedSize: Type.Optional(Type.Integer({ minimum: 2 })),
      /** Only the blocker (their other devices); the blocked user is not told. */
      ...Audience,
    }),
  },
  'upload.created': { version: 1, data: UploadCreated },
  /** A user changed their profile (display name). */
  'user.updated': { version: 1, data: Type.Object({ user: PublicUser }) },
} as const satisfies Record<string, { version: number; data: TSchema }>;

export type EventType = keyof typeof EventCatalogue;
export type EventData<T extends EventType> = Static<(typeof EventCatalogue)[T]['data']>;

/** What travels on the wire: an envelope around the versioned payload. */
export interface EventEnvelope<T extends EventType = EventType> {
  id: string;
  type: T;
  version: number;
  occurredAt: string;
  data: EventData<T>;
}
