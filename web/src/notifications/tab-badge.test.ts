import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { conversation, conversationState, me, message } from '../test-support/fixtures.ts';
import { contrast } from '../ui/contrast.ts';
import { attentionCount, badgeFavicon, showTabBadge, tabTitle } from './tab-badge.ts';

const svgOf = (url: string) => decodeURIComponent(url.replace('data:image/svg+xml,', ''));

/** A conversation with `unread` messages I have not read (and `mentions` of me among them). */
function waiting(unread: number, options: { muted?: boolean; mentions?: number; id?: number } = {}) {
  const messages = Array.from({ length: unread }, (_, i) => message(i + 1));
  const id = (options.id ?? 100).toString(16).padStart(24, '0');
  return conversationState(
    messages.map((m) => ({ ...m, conversationId: id })),
    { muted: options.muted ?? false, unreadMentions: options.mentions ?? 0 },
    conversation({ id }),
  );
}

describe('tab badge', () => {
  beforeEach(() => {
    document.head.innerHTML = '<link rel="icon" type="image/svg+xml" href="/favicon.svg" />';
    document.title = 'Palaver';
  });
  afterEach(() => {
    document.head.innerHTML = '';
  });

  it('counts unread messages, and of a muted conversation only the mentions, as the title does', () => {
    expect(attentionCount([waiting(3), waiting(2, { id: 101 })], me)).toBe(5);
    expect(attentionCount([waiting(3), waiting(4, { id: 101, muted: true })], me)).toBe(3);
    expect(attentionCount([waiting(3), waiting(4, { id: 101, muted: true, mentions: 1 })], me)).toBe(4);
    expect(attentionCount([], me)).toBe(0);
  });

  it('puts the count on the favicon next to the title, and the plain icon back at zero', () => {
    const link = document.head.querySelector('link[rel="icon"]') as HTMLLinkElement;
    let undo = showTabBadge(3);
    expect(document.title).toBe('(3) Palaver');
    expect(link.href).toMatch(/^data:image\/svg\+xml,/);
    expect(svgOf(link.href)).toContain('>3</text>');
    undo();
    undo = showTabBadge(0);
    expect(document.title).toBe('Palaver');
    expect(link.getAttribute('href')).toBe('/favicon.svg');
    undo();
    undo = showTabBadge(120);
    expect(svgOf(link.href)).toContain('>99+</text>');
    expect(tabTitle(120)).toBe('(99+) Palaver');
    // Leaving (logging out) puts both back.
    undo();
    expect(link.getAttribute('href')).toBe('/favicon.svg');
    expect(document.title).toBe('Palaver');
  });

  it('makes an icon link when the page has none', () => {
    document.head.innerHTML = '';
    const undo = showTabBadge(7);
    const link = document.head.querySelector('link[rel="icon"]') as HTMLLinkElement;
    expect(svgOf(link.href)).toContain('>7</text>');
    undo();
    expect(link.getAttribute('href')).toBe('/favicon.svg');
  });

  it('draws a well-formed icon whose digits stand out from the disc', () => {
    const svg = svgOf(badgeFavicon(42));
    const parsed = new DOMParser().parseFromString(svg, 'image/svg+xml');
    expect(parsed.querySelector('parsererror')).toBeNull();
    const disc = parsed.querySelector('circle')?.getAttribute('fill') ?? '';
    const digits = parsed.querySelector('text')?.getAttribute('fill') ?? '';
    expect(contrast(digits === '#fff' ? '#ffffff' : digits, disc)).toBeGreaterThanOrEqual(4.5);
  });
});
