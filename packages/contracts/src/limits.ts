/**
 * Every size and count limit of the API, as plain numbers: the schemas are built from
 * these, and services and clients read them from here rather than repeating them. Nothing
 * here imports TypeBox, so a browser bundle can take them (`@palaver/contracts/limits`)
 * without the schemas.
 */

// Messages

/** Longest message body, in UTF-16 code units (a JavaScript string's length). */
export const maxMessageBodyLength = 4000;
/** Longest `clientMessageId` a sender may choose. */
export const maxClientMessageIdLength = 64;
/** Most attachments one message can carry. */
export const maxAttachments = 10;
/** Most distinct emoji one message can carry (a bounded set, as in Slack). */
export const maxReactionKinds = 20;
/** Longest single emoji (a pictograph with its modifiers and joins), in UTF-16 code units. */
export const maxEmojiLength = 32;
/** Longest excerpt of a quoted message a reply shows (the original's current text, cut). */
export const maxQuoteExcerptLength = 200;
/** Most participants a thread's summary names (the first to reply first). */
export const maxThreadParticipantsShown = 10;

// Conversations

/** Largest group; also the most members one request may add. */
export const maxGroupMembers = 1000;
/** Longest group title. */
export const maxGroupTitleLength = 100;

// Accounts

export const minUsernameLength = 3;
export const maxUsernameLength = 32;
export const maxDisplayNameLength = 64;
/** Largest avatar image in bytes: the upload service refuses more, the web checks before sending. */
export const maxAvatarBytes = 5 * 1024 * 1024;
export const minPasswordLength = 8;
/** Caps the hashing cost of one request. */
export const maxPasswordLength = 256;
export const minRefreshTokenLength = 20;
export const maxRefreshTokenLength = 200;
/** Longest access token the gateway takes (handshake and `auth:refresh`). */
export const maxAccessTokenLength = 4096;
/** Longest user search text. */
export const maxUserSearchQueryLength = 64;
/** As many ids as a group can hold, so one call checks a whole member list. */
export const maxUserLookup = maxGroupMembers;
/** Most usernames one lookup resolves (the mentions of one message). */
export const maxUsernameLookup = 20;

// Realtime

/** Most conversations one `sync` may ask about; page the rest with the history API. */
export const maxSyncConversations = 200;

// Search

/** Longest query: a few words, never a message body pasted whole. */
export const maxSearchQueryLength = 200;
/** Most words one query may have; every word must occur in a result. */
export const maxSearchTerms = 8;

// Paging

/** Longest opaque `cursor` a listing takes back (conversation list, message search). */
export const maxCursorLength = 64;

/** Per listing: the most items one page may ask for (`limit`), and the page size without one. */
export const pageLimits = {
  /** `GET /conversations` */
  conversations: { max: 100, default: 20 },
  /** `GET /messages` (history) */
  history: { max: 100, default: 50 },
  /** `GET /conversations/:id/threads/:seq` */
  thread: { max: 100, default: 50 },
  /** `GET /conversations/:id/changes` */
  changes: { max: 200, default: 100 },
  /** `GET /users` (user search) */
  users: { max: 50, default: 20 },
  /** `GET /search` */
  search: { max: 50, default: 20 },
} as const satisfies Record<string, { max: number; default: number }>;
