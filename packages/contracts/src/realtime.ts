import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { type Conversation, type Message, SendMessageBody } from './messages.ts';
import { ObjectIdString } from './primitives.ts';

/**
 * The Socket.IO event catalogue between the web client (or any program) and the gateway:
 * client→server payload schemas, the ack envelope, and the server→client events.
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

/** Most conversations one `sync` may ask about; page the rest with the history API. */
export const maxSyncConversations = 200;

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
  { token: Type.String({ minLength: 1, maxLength: 4096 }) },
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

export type PresenceStatus = 'online' | 'offline';

export interface ServerToClientEvents {
  'message:received': (payload: { message: Message }) => void;
  /** `changeSeq`: the conversation's change this is (see `sync`). */
  'message:updated': (payload: { message: Message; changeSeq: number }) => void;
  'message:deleted': (payload: { message: Message; changeSeq: number }) => void;
  'message:status': (payload: {
    conversationId: string;
    userId: string;
    deliveredSeq?: number;
    readSeq?: number;
  }) => void;
  'user:status': (payload: { userId: string; status: PresenceStatus; lastSeenAt: string | null }) => void;
  typing: (payload: { conversationId: string; userId: string; isTyping: boolean }) => void;
  'conversation:updated': (payload: { conversation: Conversation; removedUserIds?: string[] }) => void;
  /** Someone added (`reacted`) or took back a reaction: apply it to the message's reactions. */
  'message:reaction': (payload: {
    conversationId: string;
    messageId: string;
    seq: number;
    emoji: string;
    userId: string;
    reacted: boolean;
    changeSeq: number;
  }) => void;
  /** You muted or unmuted a conversation (on another device too). */
  'conversation:muted': (payload: { conversationId: string; muted: boolean }) => void;
  /** You blocked or unblocked someone (on another device too). */
  'user:blocked': (payload: { userId: string; blocked: boolean }) => void;
  /** The access token expired without an `auth:refresh`; the socket closes right after. */
  'auth:expired': (payload: { expiredAt: string }) => void;
}

/** `connect_error.data` when the gateway refuses a handshake. */
export interface HandshakeRefusal {
  code: 'unauthorized' | 'token_expired' | 'unavailable' | 'too_many_connections';
  message: string;
}
