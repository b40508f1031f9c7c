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

/**
 * A message body as text, with its web and mail addresses as links that open in a new tab
 * without telling the target where they came from (`noopener noreferrer`).
 */
export function MessageText({ text }: { text: string }) {
  const parts: ReactNode[] = [];
  let at = 0;
  for (const match of linkify.match(text) ?? []) {
    if (!safeUrl.test(match.url)) continue;
    if (match.index > at) parts.push(text.slice(at, match.index));
    parts.push(
      <a key={match.index} href={match.url} target="_blank" rel="noopener noreferrer">
        {match.text}
      </a>,
    );
    at = match.lastIndex;
  }
  parts.push(text.slice(at));
  return <>{parts}</>;
}
