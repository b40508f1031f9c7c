import { useEffect, useRef } from 'react';
import { SearchIcon } from './icons.tsx';

const isMac = () => /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);

/** Where typing "/" means the character, not "search". */
const isTextField = (target: EventTarget | null) =>
  target instanceof HTMLElement &&
  (target.isContentEditable || target.matches('input, textarea, select, [role="textbox"]'));

/**
 * Ctrl+K (⌘K on a Mac) anywhere, or "/" outside a text field, opens the search; not while
 * a dialog is open, which has the keyboard to itself.
 */
export function useSearchShortcut(open: () => void) {
  const latest = useRef(open);
  latest.current = open;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || document.querySelector('dialog[open]')) return;
      const chord =
        event.key.toLowerCase() === 'k' && (isMac() ? event.metaKey : event.ctrlKey) && !event.altKey;
      const slash = event.key === '/' && !event.ctrlKey && !event.metaKey && !isTextField(event.target);
      if (!chord && !slash) return;
      event.preventDefault();
      latest.current();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
}

/** The way into the search above the conversation list, looking like the field it opens. */
export function SearchEntry({ onOpen }: { onOpen: () => void }) {
  const mac = isMac();
  return (
    <button
      type="button"
      className="search-entry"
      aria-keyshortcuts={mac ? 'Meta+K /' : 'Control+K /'}
      onClick={onOpen}
    >
      <SearchIcon />
      <span className="search-entry-text">
        Search <span className="visually-hidden">messages</span>
      </span>
      {/* The shortcut is in aria-keyshortcuts for a screen reader; shown here for the eye. */}
      <span className="search-entry-keys" aria-hidden="true">
        <kbd>{mac ? '⌘K' : 'Ctrl K'}</kbd>
      </span>
    </button>
  );
}
