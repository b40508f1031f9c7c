import { type ConversationState, unreadCount } from '../chat/chat-state.ts';

/**
 * What calls for attention, for the tab's title, its favicon and desktop notifications:
 * unread messages, except that a muted conversation counts only the ones mentioning me.
 */
export function attentionCount(conversations: Iterable<ConversationState>, me: string): number {
  let sum = 0;
  for (const conversation of conversations)
    sum += conversation.muted ? conversation.unreadMentions : unreadCount(conversation, me);
  return sum;
}

/** "(3) Palaver", "(99+) Palaver", or plain "Palaver" when nothing is waiting. */
export function tabTitle(count: number): string {
  return count > 0 ? `(${count > 99 ? '99+' : count}) Palaver` : 'Palaver';
}

/** The speech bubble of public/favicon.svg, drawn as it is there. */
const bubble =
  '<path fill="#1f6f5c" d="M14 6h36a10 10 0 0 1 10 10v22a10 10 0 0 1-10 10H30L16 60V48h-2A10 10 0 0 1 4 38V16A10 10 0 0 1 14 6z"/>' +
  '<path fill="#fff" d="M16 20h32v5H16zm0 10h22v5H16z"/>';

/**
 * The favicon with the count on a red disc in its corner, as an SVG data URL. The digits are
 * white on #c5221f (over 4.5:1, tab-badge.test.ts) inside a white ring that keeps the disc apart from any tab colour.
 */
export function badgeFavicon(count: number): string {
  const label = count > 99 ? '99+' : String(count);
  const size = label.length === 1 ? 30 : label.length === 2 ? 24 : 18;
  const svg =
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">' +
    bubble +
    '<circle cx="44" cy="22" r="20" fill="#c5221f" stroke="#fff" stroke-width="3"/>' +
    `<text x="44" y="22" dy="0.36em" text-anchor="middle" font-family="Arial,Helvetica,sans-serif" font-weight="700" font-size="${size}" fill="#fff">${label}</text>` +
    '</svg>';
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}

/** The page's icon link (index.html has one; made if missing). */
function iconLink(): HTMLLinkElement {
  const found = document.head.querySelector<HTMLLinkElement>('link[rel~="icon"]');
  if (found) return found;
  const link = document.createElement('link');
  link.rel = 'icon';
  link.type = 'image/svg+xml';
  link.href = '/favicon.svg';
  document.head.append(link);
  return link;
}

/**
 * Shows a count in the tab: in its title and as a badge on its favicon; nothing (the plain
 * icon) at zero. Returns how to put both back as they were.
 */
export function showTabBadge(count: number): () => void {
  const link = iconLink();
  const plain = link.dataset.plainHref ?? link.getAttribute('href') ?? '/favicon.svg';
  link.dataset.plainHref = plain;
  document.title = tabTitle(count);
  link.href = count > 0 ? badgeFavicon(count) : plain;
  return () => {
    document.title = tabTitle(0);
    link.href = plain;
  };
}
