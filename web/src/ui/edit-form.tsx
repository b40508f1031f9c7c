import { maxMessageBodyLength } from '@palaver/contracts/limits';
import { type KeyboardEvent, useEffect, useRef, useState } from 'react';

/**
 * An own message's text, editable in place. Enter or Save saves a change, Escape or Cancel
 * leaves it. It opens scrolled into view: the newest message's form would otherwise grow
 * below the fold, its Save and Cancel hidden under the composer.
 */
export function EditForm(props: {
  initial: string;
  busy: boolean;
  onSave: (text: string) => void;
  onCancel: () => void;
}) {
  const [text, setText] = useState(props.initial);
  const form = useRef<HTMLFormElement>(null);
  const field = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    field.current?.focus({ preventScroll: true });
    form.current?.scrollIntoView?.({ block: 'nearest' });
  }, []);
  const save = () => {
    if (text.trim() && text.trim() !== props.initial) props.onSave(text);
    else props.onCancel();
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Escape') props.onCancel();
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      save();
    }
  };
  return (
    <form
      ref={form}
      className="edit-form"
      onSubmit={(event) => {
        event.preventDefault();
        save();
      }}
    >
      <textarea
        aria-label="Edit message"
        value={text}
        maxLength={maxMessageBodyLength}
        onChange={(event) => setText(event.target.value)}
        onKeyDown={onKeyDown}
        ref={field}
      />
      <div className="edit-actions">
        <button type="submit" disabled={props.busy}>
          Save
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
