import { type RefObject, useLayoutEffect, useRef } from 'react';
import type { ConversationState } from '../chat/chat-state.ts';

/** A message to bring into view (a search hit); a new object each time, so the same hit can be asked again. */
export interface MessageFocus {
  seq: number;
}

/** How long a found message stays marked (the CSS animation fades it within this). */
const foundMarkMs = 4000;

/**
 * Scrolls to the message `focus` names once it is in the list (history pages back to it are
 * loaded by the caller), marks it for a moment, and focuses it so a screen reader reads it.
 * It runs after the list's own scrolling, so it wins over the "New messages" line and
 * keeping the place while older pages arrive. Not there after all (deleted since it was
 * found): the conversation's heading takes the focus instead.
 */
export function useMessageFocus(
  scroller: RefObject<HTMLElement | null>,
  focus: MessageFocus | undefined,
  state: ConversationState,
) {
  const done = useRef<MessageFocus | undefined>(undefined);
  useLayoutEffect(() => {
    if (!focus || done.current === focus || !state.loaded) return;
    const row = scroller.current?.querySelector<HTMLElement>(`li[data-seq="${focus.seq}"]`);
    if (!row) {
      const oldest = state.messages[0]?.seq;
      const reached = !state.hasOlder || (oldest !== undefined && oldest <= focus.seq);
      if (!reached) return;
      done.current = focus;
      document.querySelector<HTMLElement>('#conversation-title')?.focus();
      return;
    }
    done.current = focus;
    row.scrollIntoView?.({ block: 'center' });
    // Attributes React does not manage on the row, so its re-renders leave them be.
    row.tabIndex = -1;
    row.dataset.found = 'true';
    row.focus({ preventScroll: true });
    setTimeout(() => row.removeAttribute('data-found'), foundMarkMs);
  });
}
