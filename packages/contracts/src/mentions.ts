import { maxUsernameLength, minUsernameLength } from './limits.ts';

/**
 * `@name` where a username may stand: not glued to a username character before it (an
 * e-mail address; CJK text needs no space before it), 3–32 username characters. The
 * server resolves these into `mentions`; clients mark them. A trailing `.` or `-` ends
 * the sentence, not the name (see `mentionedName`). Like `limits.ts`, free of TypeBox.
 */
export const mentionPattern = new RegExp(
  `(?<![A-Za-z0-9_.@-])@([A-Za-z0-9_.-]{${minUsernameLength},${maxUsernameLength}})(?![A-Za-z0-9_])`,
  'g',
);
/** The lower-case username a `mentionPattern` match names. */
export const mentionedName = (match: RegExpMatchArray) =>
  (match[1] as string).replace(/[.-]+$/, '').toLowerCase();
