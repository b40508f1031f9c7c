import { type RefObject, useEffect, useRef } from 'react';

/**
 * Closes a popover when the pointer goes down outside `container`, or focus moves to
 * something outside it (Tab away). A click inside never closes it: some browsers do not
 * focus a clicked button, so a blur with nowhere to go is not taken as leaving.
 */
export function useDismiss(container: RefObject<HTMLElement | null>, open: boolean, close: () => void) {
  const latest = useRef(close);
  latest.current = close;
  useEffect(() => {
    if (!open) return;
    const outside = (target: EventTarget | null) =>
      target instanceof Node && !container.current?.contains(target);
    const onPointer = (event: PointerEvent) => {
      if (outside(event.target)) latest.current();
    };
    const onFocus = (event: FocusEvent) => {
      if (outside(event.target)) latest.current();
    };
    document.addEventListener('pointerdown', onPointer);
    document.addEventListener('focusin', onFocus);
    return () => {
      document.removeEventListener('pointerdown', onPointer);
      document.removeEventListener('focusin', onFocus);
    };
  }, [container, open]);
}
