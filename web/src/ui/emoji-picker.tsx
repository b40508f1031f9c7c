import { useEffect, useId, useRef, useState } from 'react';
import { commonEmoji, emojiColumns } from './emoji.ts';
import { SmileIcon } from './icons.tsx';
import { moveFocus } from './roving-focus.ts';
import { useDismiss } from './use-dismiss.ts';

/**
 * A button that opens a small grid of common emoji; picking one hands it to `onPick` (the
 * composer inserts it at the caret). Arrow keys, Home and End move in the grid, Enter or
 * Space picks, Escape closes and returns to the button, so does a click outside.
 */
export function EmojiPicker({ onPick }: { onPick: (emoji: string) => void }) {
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLSpanElement>(null);
  const trigger = useRef<HTMLButtonElement>(null);
  const panelId = useId();
  useDismiss(box, open, () => setOpen(false));
  return (
    <span className="emoji-picker" ref={box}>
      <button
        ref={trigger}
        type="button"
        className="emoji-button"
        aria-label="Insert emoji"
        title="Insert emoji"
        aria-haspopup="dialog"
        aria-expanded={open}
        aria-controls={open ? panelId : undefined}
        onClick={() => setOpen(!open)}
      >
        <SmileIcon />
      </button>
      {open && (
        <EmojiGrid
          id={panelId}
          onPick={(emoji) => {
            setOpen(false);
            onPick(emoji);
          }}
          onClose={() => {
            setOpen(false);
            trigger.current?.focus();
          }}
        />
      )}
    </span>
  );
}

function EmojiGrid(props: { id: string; onPick: (emoji: string) => void; onClose: () => void }) {
  const grid = useRef<HTMLDivElement>(null);
  useEffect(() => grid.current?.querySelector<HTMLElement>('button')?.focus(), []);
  return (
    <div
      id={props.id}
      className="emoji-popover"
      role="dialog"
      aria-label="Emoji"
      onKeyDown={(event) => {
        if (event.key === 'Escape') {
          event.preventDefault();
          event.stopPropagation();
          props.onClose();
        } else moveFocus(event, grid.current, 'button', emojiColumns);
      }}
    >
      <div ref={grid} className="emoji-grid" style={{ gridTemplateColumns: `repeat(${emojiColumns}, 1fr)` }}>
        {commonEmoji.map(({ emoji, name }, index) => (
          <button
            key={emoji}
            type="button"
            tabIndex={index === 0 ? 0 : -1}
            aria-label={name}
            title={name}
            onClick={() => props.onPick(emoji)}
          >
            {emoji}
          </button>
        ))}
      </div>
    </div>
  );
}
