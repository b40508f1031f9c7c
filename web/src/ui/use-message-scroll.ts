import { useLayoutEffect, useRef, useState } from 'react';
import type { ConversationState } from '../chat/chat-state.ts';
import type { Row } from './message-row.tsx';

/** Closer to the bottom than this counts as reading the newest. */
const bottomSlack = 60;
/** Scrolled nearer the top than this, the page before loads. */
const topSlack = 120;

const isAtBottom = (element: HTMLElement) =>
  element.scrollHeight - element.scrollTop - element.clientHeight < bottomSlack;

/** The "New messages" line, when there is one. */
export const unreadDividerClass = 'unread-divider';

/**
 * Where the message list is scrolled. It opens at the first unread message (the "New
 * messages" line) or else at the bottom; older pages keep the view where it was; new messages
 * follow while the reader is at the bottom, and are counted (`newCount`) while they are not.
 */
export function useMessageScroll(options: {
  rows: Row[];
  me: string;
  state: ConversationState;
  loadingOlder: boolean;
  onLoadOlder: () => void;
}) {
  const { rows, me, state, loadingOlder, onLoadOlder } = options;
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const previous = useRef({ firstKey: '', lastKey: '', height: 0, top: 0, opened: false });
  const lastSeq = state.messages.at(-1)?.seq ?? 0;
  // The newest message the reader has seen at the bottom; null until the list opens.
  const [seenSeq, setSeenSeq] = useState<number | null>(null);

  useLayoutEffect(() => {
    const element = scroller.current;
    if (!element) return;
    const before = previous.current;
    const firstKey = rows[0]?.key ?? '';
    const lastKey = rows.at(-1)?.key ?? '';
    const toBottom = () => {
      element.scrollTop = element.scrollHeight;
      setSeenSeq(lastSeq);
    };
    if (!before.opened && state.loaded) {
      const divider = element.querySelector<HTMLElement>(`.${unreadDividerClass}`);
      if (divider) divider.scrollIntoView?.({ block: 'start' });
      else element.scrollTop = element.scrollHeight;
      atBottom.current = isAtBottom(element);
      setSeenSeq(lastSeq);
      before.opened = true;
    } else if (before.firstKey && firstKey !== before.firstKey && lastKey === before.lastKey) {
      element.scrollTop = before.top + (element.scrollHeight - before.height);
    } else if (lastKey !== before.lastKey && (atBottom.current || rows.at(-1)?.senderId === me)) {
      toBottom();
    }
    previous.current = { ...before, firstKey, lastKey, height: element.scrollHeight, top: element.scrollTop };
    // A first page shorter than the screen leaves nothing to scroll: fetch more straight away.
    if (state.hasOlder && !loadingOlder && element.scrollHeight <= element.clientHeight && state.loaded) {
      onLoadOlder();
    }
  });

  const onScroll = () => {
    const element = scroller.current;
    if (!element) return;
    atBottom.current = isAtBottom(element);
    if (atBottom.current) setSeenSeq(lastSeq);
    previous.current.top = element.scrollTop;
    if (element.scrollTop < topSlack && state.hasOlder && !loadingOlder) onLoadOlder();
  };

  const jumpToLatest = () => {
    const element = scroller.current;
    if (!element) return;
    element.scrollTop = element.scrollHeight;
    atBottom.current = true;
    setSeenSeq(lastSeq);
  };

  const newCount =
    seenSeq === null
      ? 0
      : state.messages.filter((message) => message.seq > seenSeq && message.senderId !== me).length;
  return { scroller, onScroll, newCount, jumpToLatest };
}
