import { type ReactNode, useEffect, useRef } from 'react';

/** A native modal dialog: focus moves in and is trapped, Escape closes, focus returns after. */
export function ModalDialog(props: { title: string; onClose: () => void; children: ReactNode }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    dialog.current?.showModal?.();
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
