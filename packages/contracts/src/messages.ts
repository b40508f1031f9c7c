import { type Static, Type } from '@sinclair/typebox';
import {
  maxAttachments,
  maxClientMessageIdLength,
  maxCursorLength,
  maxEmojiLength,
  maxGroupMembers,
  maxGroupTitleLength,
  maxMessageBodyLength,
  maxQuoteExcerptLength,
  maxThreadParticipantsShown,
  pageLimits,
} from './limits.ts';
import { DisplayText, IsoDateTime, ObjectIdString, PageLimit } from './primitives.ts';

export const MemberRole = Type.Union([Type.Literal('owner'), Type.Literal('admin'), Type.Literal('member')]);
export type MemberRole = Static<typeof MemberRole>;

export const ConversationType = Type.Union([Type.Literal('direct'), Type.Literal('group')]);

export const ConversationMember = Type.Object({
  userId: ObjectIdString,
  role: MemberRole,
  joinedAt: IsoDateTime,
  lastReadSeq: Type.Integer({ minimum: 0 }),
  lastDeliveredSeq: Type.Integer({ minimum: 0 }),
});
export type ConversationMember = Static<typeof ConversationMember>;

export const Conversation = Type.Object(
  {
    id: ObjectIdString,
    type: ConversationType,
    title: Type.Union([Type.String(), Type.Null()]),
    members: Type.Array(ConversationMember),
    createdBy: ObjectIdString,
    lastSeq: Type.Integer({ minimum: 0 }),
    lastMessageAt: Type.Union([IsoDateTime, Type.Null()]),
    createdAt: IsoDateTime,
    updatedAt: IsoDateTime,
  },
  { $id: 'Conversation' },
);
export type Conversation = Static<typeof Conversation>;

export const CreateConversationBody = Type.Union([
  Type.Object({ type: Type.Literal('direct'), userId: ObjectIdString }, { additionalProperties: false }),
  Type.Object(
    {
      type: Type.Literal('group'),
      title: DisplayText(maxGroupTitleLength),
      memberIds: Type.Array(ObjectIdString, {
        minItems: 1,
        maxItems: maxGroupMembers - 1,
        uniqueItems: true,
      }),
    },
    { additionalProperties: false },
  ),
]);
export type CreateConversationBody = Static<typeof CreateConversationBody>;

export const UpdateConversationBody = Type.Object(
  { title: DisplayText(maxGroupTitleLength) },
  { additionalProperties: false },
);
export const AddMembersBody = Type.Object(
  { userIds: Type.Array(ObjectIdString, { minItems: 1, maxItems: maxGroupMembers - 1, uniqueItems: true }) },
  { additionalProperties: false },
);
export const UpdateMemberBody = Type.Object(
  { role: Type.Union([Type.Literal('admin'), Type.Literal('member')]) },
  { additionalProperties: false },
);
export const TransferOwnershipBody = Type.Object({ userId: ObjectIdString }, { additionalProperties: false });
export const ConversationParams = Type.Object({ id: ObjectIdString }, { additionalProperties: false });
export const MemberParams = Type.Object(
  { id: ObjectIdString, userId: ObjectIdString },
  { additionalProperties: false },
);

export const Attachment = Type.Object({
  uploadId: ObjectIdString,
  name: Type.String(),
  mime: Type.String(),
  size: Type.Integer({ minimum: 0 }),
  width: Type.Optional(Type.Integer({ minimum: 1 })),
  height: Type.Optional(Type.Integer({ minimum: 1 })),
});
export type Attachment = Static<typeof Attachment>;

/** Someone added (`reacted`) or took back a reaction, as its event and socket payload tell it. */
export const ReactionChange = Type.Object({
  conversationId: ObjectIdString,
  messageId: ObjectIdString,
  seq: Type.Integer({ minimum: 1 }),
  emoji: Type.String(),
  userId: ObjectIdString,
  reacted: Type.Boolean(),
  /** The conversation's change this is (see `sync`). */
  changeSeq: Type.Integer({ minimum: 1 }),
});

/**
 * One emoji: a pictograph with its modifiers (skin tone, variation selector, ZWJ joins,
 * tag sequences), a flag (two regional indicators) or a keycap.
 */
export const Emoji = Type.String({
  minLength: 1,
  maxLength: maxEmojiLength,
  pattern: String.raw`^(?:\p{Regional_Indicator}{2}|[#*0-9]\uFE0F?\u20E3|\p{Extended_Pictographic}(?:\uFE0F|\p{Emoji_Modifier}|[\u{E0020}-\u{E007F}])*(?:\u200D\p{Extended_Pictographic}(?:\uFE0F|\p{Emoji_Modifier})*)*)$`,
  description: 'One emoji, e.g. 👍, 👍🏽, 🇫🇷 or 👩‍💻',
});

export const Reaction = Type.Object({
  emoji: Type.String(),
  /** Everyone who reacted with it, first reaction first. */
  userIds: Type.Array(ObjectIdString, { minItems: 1 }),
});
export type Reaction = Static<typeof Reaction>;

export const MessageKind = Type.Union([
  Type.Literal('text'),
  Type.Literal('image'),
  Type.Literal('file'),
  Type.Literal('system'),
]);
export type MessageKind = Static<typeof MessageKind>;

const Seq = Type.Integer({ minimum: 1 });

/** The message a reply quotes, as it is now: a deleted original leaves a tombstone. */
export const QuotedMessage = Type.Object({
  messageId: ObjectIdString,
  seq: Seq,
  senderId: ObjectIdString,
  kind: MessageKind,
  /** The start of its text now (null when it has none or was deleted). */
  excerpt: Type.Union([Type.String({ maxLength: maxQuoteExcerptLength }), Type.Null()]),
  /** Its attachment count now, so a quoted picture can say so. */
  attachmentCount: Type.Integer({ minimum: 0 }),
  deleted: Type.Boolean(),
});
export type QuotedMessage = Static<typeof QuotedMessage>;

/** What a thread's root shows of its replies. */
export const ThreadSummary = Type.Object({
  replyCount: Type.Integer({ minimum: 1 }),
  lastReplyAt: IsoDateTime,
  /** Who replied, the first to reply first (at most `maxThreadParticipantsShown`). */
  participantIds: Type.Array(ObjectIdString, { maxItems: maxThreadParticipantsShown }),
});
export type ThreadSummary = Static<typeof ThreadSummary>;

/** A thread's root got a reply, as its event and socket payload tell it. */
export const ThreadChange = Type.Object({
  conversationId: ObjectIdString,
  rootId: ObjectIdString,
  rootSeq: Seq,
  thread: ThreadSummary,
  /** The conversation's change this is (see `sync`). */
  changeSeq: Type.Integer({ minimum: 1 }),
});

export const Message = Type.Object(
  {
    id: ObjectIdString,
    conversationId: ObjectIdString,
    seq: Type.Integer({ minimum: 1 }),
    senderId: ObjectIdString,
    clientMessageId: Type.String(),
    kind: MessageKind,
    body: Type.Union([Type.String(), Type.Null()]),
    attachments: Type.Array(Attachment),
    createdAt: IsoDateTime,
    editedAt: Type.Union([IsoDateTime, Type.Null()]),
    deletedAt: Type.Union([IsoDateTime, Type.Null()]),
    /** Members an `@username` in the body named, resolved when it was sent or edited. */
    mentions: Type.Array(ObjectIdString),
    /** By emoji, in the order each was first used. */
    reactions: Type.Array(Reaction),
    /** The message this one replies to, quoted. */
    replyTo: Type.Union([QuotedMessage, Type.Null()]),
    /** The seq of the thread's root when this is a reply in a thread (it is in the conversation too). */
    threadRootSeq: Type.Union([Seq, Type.Null()]),
    /** On a thread's root: its replies so far. */
    thread: Type.Union([ThreadSummary, Type.Null()]),
  },
  { $id: 'Message' },
);
export type Message = Static<typeof Message>;

export const ConversationSummary = Type.Intersect([
  Conversation,
  Type.Object({
    unreadCount: Type.Integer({ minimum: 0 }),
    /** Unread messages that mention the caller. */
    unreadMentions: Type.Integer({ minimum: 0 }),
    /** The caller muted it: unread still counts, notifications do not. */
    muted: Type.Boolean(),
    lastMessage: Type.Union([Message, Type.Null()]),
  }),
]);
export type ConversationSummary = Static<typeof ConversationSummary>;

export const ConversationListQuery = Type.Object(
  {
    limit: Type.Optional(PageLimit(pageLimits.conversations)),
    cursor: Type.Optional(Type.String({ maxLength: maxCursorLength, pattern: '^[0-9]+_[0-9a-f]{24}$' })),
  },
  { additionalProperties: false },
);
export const ConversationPage = Type.Object({
  conversations: Type.Array(ConversationSummary),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
export type ConversationPage = Static<typeof ConversationPage>;

/** Text of a message: newlines and tabs allowed, other control characters not. */
export const MessageBody = Type.String({
  minLength: 1,
  maxLength: maxMessageBodyLength,
  pattern: '^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F]*$',
});

export const ClientMessageId = Type.String({
  minLength: 1,
  maxLength: maxClientMessageIdLength,
  pattern: '^[A-Za-z0-9_-]+$',
  description: 'Chosen by the sender; a retry with the same id returns the stored message',
});

export const SendMessageBody = Type.Object(
  {
    clientMessageId: ClientMessageId,
    body: Type.Optional(MessageBody),
    attachments: Type.Optional(
      Type.Array(Type.Object({ uploadId: ObjectIdString }, { additionalProperties: false }), {
        minItems: 1,
        maxItems: maxAttachments,
        uniqueItems: true,
      }),
    ),
    /** Quotes the message with this seq in the same conversation. */
    replyToSeq: Type.Optional(Seq),
    /** Posts in the thread of the message with this seq (a reply in a thread posts in its root's). */
    threadRootSeq: Type.Optional(Seq),
  },
  { additionalProperties: false },
);
export type SendMessageBody = Static<typeof SendMessageBody>;

export const EditMessageBody = Type.Object({ body: MessageBody }, { additionalProperties: false });
export const MessageParams = Type.Object(
  { id: ObjectIdString, seq: Type.Integer({ minimum: 1 }) },
  { additionalProperties: false },
);

export const ReactionParams = Type.Object(
  { id: ObjectIdString, seq: Type.Integer({ minimum: 1 }), emoji: Emoji },
  { additionalProperties: false },
);

/**
 * A page of a gapless numbering (a conversation's seqs, a thread's places): the items
 * before a number (default: the latest page), or after one (0: from the first).
 */
const PageByNumber = (limits: { max: number; default: number }) => ({
  before: Type.Optional(Type.Integer({ minimum: 1 })),
  after: Type.Optional(Type.Integer({ minimum: 0 })),
  limit: Type.Optional(PageLimit(limits)),
});

export const HistoryQuery = Type.Object(
  { conversationId: ObjectIdString, ...PageByNumber(pageLimits.history) },
  { additionalProperties: false },
);
export type HistoryQuery = Static<typeof HistoryQuery>;

export const MessagePage = Type.Object({
  messages: Type.Array(Message),
  /** More messages exist beyond this page in the direction asked for. */
  hasMore: Type.Boolean(),
  /**
   * The conversation's change cursor, read before the page: edits, deletions and reactions
   * after it may be missing from the page, and `GET /conversations/:id/changes?after=` has them.
   */
  changeSeq: Type.Integer({ minimum: 0 }),
});
export type MessagePage = Static<typeof MessagePage>;

export const ChangesQuery = Type.Object(
  {
    /** The change cursor the caller holds (0: from the first change). */
    after: Type.Integer({ minimum: 0 }),
    limit: Type.Optional(PageLimit(pageLimits.changes)),
  },
  { additionalProperties: false },
);
export type ChangesQuery = Static<typeof ChangesQuery>;

export const MessageChanges = Type.Object({
  /**
   * The messages edited, deleted or reacted to after the cursor, each once and as it is
   * now (a deleted one as its tombstone), in the order of their latest change in the page.
   */
  messages: Type.Array(Message),
  /** The cursor to keep: the last change this page covers. */
  changeSeq: Type.Integer({ minimum: 0 }),
  /** More changes exist after `changeSeq`. */
  hasMore: Type.Boolean(),
});
export type MessageChanges = Static<typeof MessageChanges>;

/** A page of a thread's replies by their place in it: 1 is the first reply, without gaps. */
export const ThreadQuery = Type.Object(PageByNumber(pageLimits.thread), { additionalProperties: false });
export type ThreadQuery = Static<typeof ThreadQuery>;

export const ThreadPage = Type.Object({
  /** A Message (its properties: a response may hold the `Message` $id only once). */
  root: Type.Object(Message.properties),
  /** Oldest first; the reply at index i has place `from + i`. */
  replies: Type.Array(Message),
  /** The place of the page's first reply (the page is empty when there are none there). */
  from: Type.Integer({ minimum: 1 }),
  /** Replies exist beyond this page in the direction asked for. */
  hasMore: Type.Boolean(),
});
export type ThreadPage = Static<typeof ThreadPage>;

export const ReadReceiptBody = Type.Object(
  { seq: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);
export const ReadReceipt = Type.Object({
  conversationId: ObjectIdString,
  userId: ObjectIdString,
  lastReadSeq: Type.Integer({ minimum: 0 }),
});

export const DeliveryReceipt = Type.Object({
  conversationId: ObjectIdString,
  userId: ObjectIdString,
  lastDeliveredSeq: Type.Integer({ minimum: 0 }),
});

export const ContactListQuery = Type.Object(
  {
    /** Count only groups up to this many members (presence is not shown in large groups). */
    maxGroupSize: Type.Optional(Type.Integer({ minimum: 2, maximum: maxGroupMembers })),
  },
  { additionalProperties: false },
);

/** Users who share at least one conversation with the caller: the audience of their presence. */
export const ContactList = Type.Object({ userIds: Type.Array(ObjectIdString) });
export type ContactList = Static<typeof ContactList>;

export const BlockParams = Type.Object({ userId: ObjectIdString }, { additionalProperties: false });

/** Whom the caller blocked, latest first. */
export const BlockList = Type.Object({
  blocks: Type.Array(Type.Object({ userId: ObjectIdString, blockedAt: IsoDateTime })),
});
export type BlockList = Static<typeof BlockList>;
