import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { PublicUser } from './auth.ts';
import { maxAccessTokenLength, maxSyncConversations } from './limits.ts';
import { Conversation, Message, ReactionChange, SendMessageBody, ThreadChange } from './messages.ts';
import { IsoDateTime, ObjectIdString } from './primitives.ts';

/**
 * The Socket.IO event catalogue between the web client (or any program) and the gateway:
 * client→server and server→client payload schemas, and the ack envelope.
 * Socket events are named `resource:verb`; docs/events.md describes each one.
 */

/** Codes a socket ack or `connect_error` may carry; they match the HTTP error codes. */
export type RealtimeErrorCode =
  | 'invalid_request'
  | 'unknown_event'
  | 'unauthorized'
  | 'token_expired'
  | 'not_found'
  | 'forbidden'
  | 'rate_limited'
  | 'unavailable'
  | 'internal'
  | (string & {});

export interface RealtimeError {
  code: RealtimeErrorCode;
  message: string;
  details?: unknown;
}

/** Every client→server event is acknowledged with one of these. */
export type Ack<T extends object = object> = ({ ok: true } & T) | { ok: false; error: RealtimeError };

const ConversationRef = { conversationId: ObjectIdString };
const strict = { additionalProperties: false };

export const SendMessagePayload = Type.Object(
  { ...ConversationRef, ...SendMessageBody.properties },
  { ...strict, $id: 'SendMessagePayload' },
);
export const ReceiptPayload = Type.Object(
  { ...ConversationRef, seq: Type.Integer({ minimum: 0 }) },
  { ...strict, $id: 'ReceiptPayload' },
);
export const TypingPayload = Type.Object(
  { ...ConversationRef, isTyping: Type.Boolean() },
  { ...strict, $id: 'TypingPayload' },
);

export const SyncPayload = Type.Object(
  {
    /** The last seq the client holds, per conversation. */
    cursors: Type.Record(ObjectIdString, Type.Integer({ minimum: 0 }), {
      maxProperties: maxSyncConversations,
      // Keys that are not conversation ids are refused, not ignored.
      additionalProperties: false,
    }),
    /**
     * The change cursor the client holds, per conversation of `cursors`: edits, deletions
     * and reactions after it come back too. A conversation without one gets only its cursor.
     */
    changes: Type.Optional(
      Type.Record(ObjectIdString, Type.Integer({ minimum: 0 }), {
        maxProperties: maxSyncConversations,
        additionalProperties: false,
      }),
    ),
  },
  { ...strict, $id: 'SyncPayload' },
);
export const AuthRefreshPayload = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: maxAccessTokenLength }) },
  { ...strict, $id: 'AuthRefreshPayload' },
);

/** Payload schema of every client→server event; the gateway validates against these. */
export const ClientEventPayloads = {
  'message:send': SendMessagePayload,
  'message:delivered': ReceiptPayload,
  'conversation:read': ReceiptPayload,
  typing: TypingPayload,
  sync: SyncPayload,
  'auth:refresh': AuthRefreshPayload,
} as const satisfies Record<string, TSchema>;

export type ClientEventName = keyof typeof ClientEventPayloads;
export type ClientEventPayload<E extends ClientEventName> = Static<(typeof ClientEventPayloads)[E]>;

/** What a successful ack carries beyond `ok: true`, per client→server event. */
export interface ClientEventResults {
  'message:send': { message: Message };
  'message:delivered': { deliveredSeq: number };
  'conversation:read': { readSeq: number };
  typing: object;
  /** `gone`: conversations in the cursors the caller no longer belongs to. */
  sync: { conversations: SyncedConversation[]; gone: string[] };
  'auth:refresh': { expiresAt: string };
}

export interface SyncedConversation {
  conversationId: string;
  /** Oldest first, everything after the client's cursor (at most one page). */
  messages: Message[];
  /** More exist than one page: fetch the rest with `GET /api/messages?after=`. */
  hasMore: boolean;
  /**
   * Messages up to the client's seq cursor that were edited, deleted or reacted to after its
   * change cursor, as they are now (at most one page; empty without a change cursor).
   */
  changed: Message[];
  /** The change cursor to keep for this conversation. */
  changeSeq: number;
  /** More changes than one page: sync again from `changeSeq`. */
  hasMoreChanges: boolean;
}

export type ClientToServerEvents = {
  [E in ClientEventName]: (
    payload: ClientEventPayload<E>,
    ack: (result: Ack<ClientEventResults[E]>) => void,
  ) => void;
};

export const PresenceStatus = Type.Union([Type.Literal('online'), Type.Literal('offline')]);
export type PresenceStatus = Static<typeof PresenceStatus>;

/** A change to a stored message: `changeSeq` is the conversation's change it is (see `sync`). */
const MessageChangePayload = Type.Object({ message: Message, changeSeq: Type.Integer({ minimum: 1 }) });

/**
 * Payload schema of every server→client event: what the gateway emits and the web client
 * receives. Open to fields added later (clients ignore what they do not know).
 */
export const ServerEventPayloads = {
  'message:received': Type.Object({ message: Message }),
  'message:updated': MessageChangePayload,
  /** The message as its tombstone. */
  'message:deleted': MessageChangePayload,
  /** A member's delivery mark (`deliveredSeq`) or read mark (`readSeq`) moved. */
  'message:status': Type.Object({
    ...ConversationRef,
    userId: ObjectIdString,
    deliveredSeq: Type.Optional(Type.Integer({ minimum: 0 })),
    readSeq: Type.Optional(Type.Integer({ minimum: 0 })),
  }),
  'user:status': Type.Object({
    userId: ObjectIdString,
    status: PresenceStatus,
    lastSeenAt: Type.Union([IsoDateTime, Type.Null()]),
  }),
  typing: Type.Object({ ...ConversationRef, userId: ObjectIdString, isTyping: Type.Boolean() }),
  /** `removedUserIds`: the member who left or was removed (who gets it too, to drop the conversation). */
  'conversation:updated': Type.Object({
    conversation: Conversation,
    removedUserIds: Type.Optional(Type.Array(ObjectIdString)),
  }),
  /** Someone added (`reacted`) or took back a reaction: apply it to the message's reactions. */
  'message:reaction': ReactionChange,
  /** A thread's root got a reply: replace the root's thread summary. */
  'message:thread': ThreadChange,
  /** You muted or unmuted a conversation (on another device too). */
  'conversation:muted': Type.Object({ ...ConversationRef, muted: Type.Boolean() }),
  /** You blocked or unblocked someone (on another device too). */
  'user:blocked': Type.Object({ userId: ObjectIdString, blocked: Type.Boolean() }),
  /** Someone you see (or you, on another device) changed their profile. */
  'user:updated': Type.Object({ user: PublicUser }),
  /** The access token expired without an `auth:refresh`; the socket closes right after. */
  'auth:expired': Type.Object({ expiredAt: IsoDateTime }),
} as const satisfies Record<string, TSchema>;

export type ServerEventName = keyof typeof ServerEventPayloads;
export type ServerEventPayload<E extends ServerEventName> = Static<(typeof ServerEventPayloads)[E]>;

export type ServerToClientEvents = {
  [E in ServerEventName]: (payload: ServerEventPayload<E>) => void;
};

/** `connect_error.data` when the gateway refuses a handshake. */
export interface HandshakeRefusal {
  code: 'unauthorized' | 'token_expired' | 'unavailable' | 'too_many_connections';
  message: string;
}
