import { type ReactNode, useEffect, useRef } from 'react';

/**
 * A native modal dialog: focus moves in (to its first field, else its first button) and is
 * trapped, Escape closes, focus returns after.
 */
export function ModalDialog(props: { title: string; onClose: () => void; children: ReactNode }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    dialog.current?.showModal?.();
    // showModal focuses the first focusable element, the close button; a field comes first.
    dialog.current?.querySelector<HTMLElement>('input, textarea, select')?.focus();
    return () => opener?.focus?.();
  }, []);
  return (
    <dialog ref={dialog} className="modal" aria-labelledby="modal-title" onClose={props.onClose}>
      <header className="modal-header">
        <h2 id="modal-title">{props.title}</h2>
        <button type="button" className="icon-button" aria-label="Close" onClick={props.onClose}>
          ×
        </button>
      </header>
      {props.children}
    </dialog>
  );
}
