import { mentionedName, mentionPattern } from '@palaver/contracts/mentions';
import { LinkifyIt } from 'linkify-it';
import type { ReactNode } from 'react';

// Bare domains too (example.org), but only with common generic endings: country codes
// such as .md or .js would turn file names into links.
const linkify = new LinkifyIt({ fuzzyLink: true }).tlds(
  ['com', 'org', 'net', 'edu', 'gov', 'info', 'io', 'dev', 'app'],
  false,
);
/** Only these become links: never `javascript:`, `data:` or another scheme a message names. */
const safeUrl = /^(https?:\/\/|mailto:)/i;

/** Plain text with the `@username`s that name a mentioned member marked (mine more strongly). */
function withMentions(text: string, key: number, mentioned: string[], mine: string | undefined): ReactNode[] {
  if (mentioned.length === 0 || !text.includes('@')) return [text];
  const parts: ReactNode[] = [];
  let at = 0;
  for (const match of text.matchAll(mentionPattern)) {
    const name = mentionedName(match);
    if (!mentioned.includes(name)) continue;
    const start = match.index;
    const end = start + 1 + name.length;
    if (start > at) parts.push(text.slice(at, start));
    parts.push(
      <span key={`${key}-${start}`} className={`mention${name === mine ? ' mention-me' : ''}`}>
        {text.slice(start, end)}
      </span>,
    );
    at = end;
  }
  parts.push(text.slice(at));
  return parts;
}

/**
 * A message body as text, with its web and mail addresses as links that open in a new tab
 * without telling the target where they came from (`noopener noreferrer`), and the members
 * it mentions marked.
 */
export function MessageText({
  text,
  mentioned = [],
  myUsername,
}: {
  text: string;
  /** Lower-case usernames of the members the server resolved as mentioned. */
  mentioned?: string[];
  myUsername?: string;
}) {
  const parts: ReactNode[] = [];
  let at = 0;
  for (const match of linkify.match(text) ?? []) {
    if (!safeUrl.test(match.url)) continue;
    if (match.index > at) parts.push(...withMentions(text.slice(at, match.index), at, mentioned, myUsername));
    parts.push(
      <a key={match.index} href={match.url} target="_blank" rel="noopener noreferrer">
        {match.text}
      </a>,
    );
    at = match.lastIndex;
  }
  parts.push(...withMentions(text.slice(at), at, mentioned, myUsername));
  return <>{parts}</>;
}
