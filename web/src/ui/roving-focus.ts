import type { KeyboardEvent } from 'react';

/**
 * Where arrow keys, Home and End move among `count` items laid out in rows of `columns`
 * (1: a vertical list; `count` or more: one row). Along a row, and down a list, they wrap;
 * up and down a grid they stop at the edge. Null: not a key that moves.
 */
function nextIndex(key: string, index: number, count: number, columns = 1): number | null {
  if (count === 0) return null;
  const wrap = (to: number) => (to + count) % count;
  const vertical = columns === 1;
  switch (key) {
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    case 'ArrowRight':
      return vertical ? null : wrap(index + 1);
    case 'ArrowLeft':
      return vertical ? null : wrap(index - 1);
    case 'ArrowDown':
      if (vertical) return wrap(index + 1);
      return index + columns < count ? index + columns : null;
    case 'ArrowUp':
      if (vertical) return wrap(index - 1);
      return index - columns >= 0 ? index - columns : null;
    default:
      return null;
  }
}

/**
 * Moves focus among the `selector` matches inside `container` for an arrow key, Home or End,
 * keeping one of them in the tab order (a roving tabindex). True when it handled the key.
 */
export function moveFocus(
  event: KeyboardEvent,
  container: HTMLElement | null,
  selector: string,
  columns = 1,
): boolean {
  const items = [...(container?.querySelectorAll<HTMLElement>(selector) ?? [])];
  const index = items.indexOf(document.activeElement as HTMLElement);
  const next = nextIndex(event.key, Math.max(index, 0), items.length, columns);
  if (next === null) return false;
  event.preventDefault();
  for (const item of items) item.tabIndex = -1;
  const target = items[next];
  if (target) {
    target.tabIndex = 0;
    target.focus();
  }
  return true;
}
