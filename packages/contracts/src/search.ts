import { type Static, Type } from '@sinclair/typebox';
import { maxCursorLength, maxSearchQueryLength, pageLimits } from './limits.ts';
import { IsoDateTime, ObjectIdString, PageLimit, SearchText } from './primitives.ts';

export const SearchQuery = Type.Object(
  {
    q: Type.String({
      minLength: 1,
      maxLength: maxSearchQueryLength,
      pattern: SearchText(maxSearchQueryLength).pattern as string,
      description:
        'Words to find, each as a part of a word (case, accents and Arabic vowel marks ignored); `%`, `_` and `\\` are plain characters',
    }),
    conversationId: Type.Optional(ObjectIdString),
    senderId: Type.Optional(ObjectIdString),
    limit: Type.Optional(PageLimit(pageLimits.search)),
    cursor: Type.Optional(
      Type.String({
        maxLength: maxCursorLength,
        pattern: '^[0-9]{1,4}_[0-9]{1,15}_[0-9a-f]{24}$',
        description: "The previous page's nextCursor",
      }),
    ),
  },
  { additionalProperties: false },
);
export type SearchQuery = Static<typeof SearchQuery>;

/** `[start, end)` in UTF-16 code units of the snippet's text (JavaScript string indices). */
export const TextRange = Type.Object({
  start: Type.Integer({ minimum: 0 }),
  end: Type.Integer({ minimum: 0 }),
});
export type TextRange = Static<typeof TextRange>;

export const SearchSnippet = Type.Object({
  /** Plain text cut from the message body (never markup: render it as text). */
  text: Type.String(),
  /** Where the query's words occur in `text`, in order, not overlapping. */
  highlights: Type.Array(TextRange),
  /** The body goes on before / after `text`. */
  truncatedStart: Type.Boolean(),
  truncatedEnd: Type.Boolean(),
});
export type SearchSnippet = Static<typeof SearchSnippet>;

export const SearchHit = Type.Object({
  messageId: ObjectIdString,
  conversationId: ObjectIdString,
  seq: Type.Integer({ minimum: 1 }),
  senderId: ObjectIdString,
  createdAt: IsoDateTime,
  editedAt: Type.Union([IsoDateTime, Type.Null()]),
  /** Relevance in (0, 1]: word starts and short messages rank higher; ties by newest first. */
  rank: Type.Number({ minimum: 0, maximum: 1 }),
  snippet: SearchSnippet,
});
export type SearchHit = Static<typeof SearchHit>;

export const SearchPage = Type.Object({
  results: Type.Array(SearchHit),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
export type SearchPage = Static<typeof SearchPage>;

/** The conversations a user is a member of now (the message service answers; search asks). */
export const MembershipList = Type.Object({ conversationIds: Type.Array(ObjectIdString) });
export type MembershipList = Static<typeof MembershipList>;
