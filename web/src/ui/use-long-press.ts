import { type PointerEvent, type SyntheticEvent, useEffect, useRef } from 'react';

/** How long a touch is held before it counts as a long press, and how far it may wander. */
const holdMs = 500;
const slop = 10;

/**
 * Handlers for a touch-and-hold (pen too; a mouse has hover and a right click instead):
 * `onLongPress` runs once the finger has stayed put for {@link holdMs}, and the click or
 * context menu the browser would follow it with is swallowed.
 */
export function useLongPress(onLongPress: () => void) {
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const start = useRef({ x: 0, y: 0 });
  const fired = useRef(false);
  const latest = useRef(onLongPress);
  latest.current = onLongPress;
  const cancel = () => clearTimeout(timer.current);
  useEffect(() => () => clearTimeout(timer.current), []);
  const swallow = (event: SyntheticEvent) => {
    if (!fired.current) return;
    event.preventDefault();
    event.stopPropagation();
  };
  return {
    onPointerDown: (event: PointerEvent) => {
      if (event.pointerType === 'mouse') return;
      fired.current = false;
      start.current = { x: event.clientX, y: event.clientY };
      cancel();
      timer.current = setTimeout(() => {
        fired.current = true;
        latest.current();
      }, holdMs);
    },
    onPointerMove: (event: PointerEvent) => {
      const moved = Math.hypot(event.clientX - start.current.x, event.clientY - start.current.y);
      if (moved > slop) cancel();
    },
    onPointerUp: cancel,
    onPointerCancel: cancel,
    onPointerLeave: cancel,
    onContextMenu: swallow,
    onClickCapture: (event: SyntheticEvent) => {
      swallow(event);
      fired.current = false;
    },
  };
}
