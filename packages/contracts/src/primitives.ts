import { Type } from '@sinclair/typebox';

/** A MongoDB ObjectId in its 24-hex-digit form. */
export const ObjectIdString = Type.String({
  pattern: '^[0-9a-f]{24}$',
  description: 'Object id (24 hex digits)',
});

export const IsoDateTime = Type.String({ format: 'date-time' });

// Control characters and bidirectional overrides can spoof what other people see.
const unsafeChars = String.raw`\p{Cc}\u202A-\u202E\u2066-\u2069`;

/** Free text shown to other people: no control or bidi-override characters, not blank. */
export const DisplayText = (maxLength: number) =>
  Type.String({
    minLength: 1,
    maxLength,
    pattern: `^[^${unsafeChars}]*[^\\s${unsafeChars}][^${unsafeChars}]*$`,
  });

/** Text a client searches by: no control characters (a NUL cannot even reach a regex). */
export const SearchText = (maxLength: number) => Type.String({ maxLength, pattern: `^[^${unsafeChars}]*$` });

/** A listing's `limit`: 1 up to `max`, `default` when absent (one of `pageLimits`). */
export const PageLimit = (limits: { max: number; default: number }) =>
  Type.Integer({ minimum: 1, maximum: limits.max, default: limits.default });
