import type { Upload } from '@palaver/contracts';
import { maxMessageBodyLength } from '@palaver/contracts/limits';
import {
  type ClipboardEvent,
  type KeyboardEvent,
  type ReactNode,
  type Ref,
  useImperativeHandle,
  useLayoutEffect,
  useRef,
  useState,
} from 'react';
import { EmojiPicker } from './emoji-picker.tsx';
import { PaperclipIcon } from './icons.tsx';
import { StagedFiles, UploadProgress } from './staged-files.tsx';
import { useAttachments } from './use-attachments.ts';

export interface ComposerHandle {
  /** Files dropped elsewhere in the conversation. */
  addFiles: (files: File[]) => void;
  focus: () => void;
}

export interface ComposerProps {
  onSend: (body: string, uploads: Upload[]) => void;
  onTyping: (isTyping: boolean) => void;
  upload: (files: File[], onProgress: (fraction: number) => void) => Promise<Upload[]>;
  /** While offline, messages still queue; uploads need the network. */
  online: boolean;
  /** Names the form and its field (a thread's composer is not the conversation's). */
  label?: string;
  /** Shown above the field: what the message answers. */
  banner?: ReactNode;
  ref?: Ref<ComposerHandle>;
}

/**
 * Text, emoji and attachments. Enter sends, Shift+Enter adds a line. Files come from the
 * picker, a drop or a paste and upload at once with a progress bar; the message goes with Send.
 */
export function Composer({ onSend, onTyping, upload, online, label, banner, ref }: ComposerProps) {
  const draft = useDraft(onTyping);
  const files = useAttachments(upload, online, draft.focus);
  const [dragging, setDragging] = useState(false);
  useImperativeHandle(ref, () => ({
    addFiles: (list) => void files.add(list),
    focus: draft.focus,
  }));

  const canSend = (draft.text.trim().length > 0 || files.attached.length > 0) && files.progress === null;
  const send = () => {
    if (!canSend) return;
    onSend(draft.text, files.attached);
    draft.clear();
    files.clear();
  };

  return (
    <form
      className={`composer${dragging ? ' dragging' : ''}`}
      aria-label={label ?? 'Write a message'}
      onSubmit={(event) => {
        event.preventDefault();
        send();
      }}
      onDragOver={(event) => {
        event.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(event) => {
        event.preventDefault();
        // The conversation around the composer takes drops too: one drop, one upload.
        event.stopPropagation();
        setDragging(false);
        void files.add([...event.dataTransfer.files]);
      }}
    >
      {banner}
      <UploadProgress progress={files.progress} />
      <StagedFiles attached={files.attached} onRemove={files.remove} />
      {files.error && (
        <p className="composer-error" role="alert">
          {files.error}
        </p>
      )}
      <div className="composer-row">
        <AttachButton online={online} busy={files.progress !== null} onFiles={files.add} />
        <EmojiPicker onPick={draft.insert} />
        <MessageField draft={draft} label={label} onSend={send} onFiles={files.add} />
        <button type="submit" className="send-button" disabled={!canSend}>
          Send
        </button>
      </div>
    </form>
  );
}

type Draft = ReturnType<typeof useDraft>;

/**
 * The text being written and its field; `insert` puts a snippet at the caret (or over the
 * selection). Whether I am typing follows the text (and `stopTyping`, when the field is left).
 */
function useDraft(onTyping: (isTyping: boolean) => void) {
  const field = useRef<HTMLTextAreaElement>(null);
  const [text, setText] = useState('');
  const caret = useRef<number | null>(null);
  useLayoutEffect(() => {
    const element = field.current;
    if (caret.current === null || !element) return;
    element.focus();
    element.setSelectionRange(caret.current, caret.current);
    caret.current = null;
  });
  const change = (next: string) => {
    setText(next);
    onTyping(next.trim().length > 0);
  };
  const insert = (snippet: string) => {
    const start = field.current?.selectionStart ?? text.length;
    const end = field.current?.selectionEnd ?? start;
    const next = text.slice(0, start) + snippet + text.slice(end);
    caret.current = next.length > maxMessageBodyLength ? end : start + snippet.length;
    if (next.length <= maxMessageBodyLength) change(next);
    else field.current?.focus();
  };
  return {
    field,
    text,
    change,
    insert,
    clear: () => setText(''),
    focus: () => field.current?.focus(),
    stopTyping: () => onTyping(false),
  };
}

function AttachButton(props: { online: boolean; busy: boolean; onFiles: (files: File[]) => void }) {
  const picker = useRef<HTMLInputElement>(null);
  return (
    <>
      <button
        type="button"
        className="attach-button"
        onClick={() => picker.current?.click()}
        disabled={!props.online || props.busy}
        aria-label="Attach files"
        title={props.online ? 'Attach files' : 'Attaching files needs a connection'}
      >
        <PaperclipIcon />
      </button>
      <input
        ref={picker}
        type="file"
        multiple
        hidden
        data-testid="file-input"
        onChange={(event) => {
          props.onFiles([...(event.target.files ?? [])]);
          event.target.value = '';
        }}
      />
    </>
  );
}

function MessageField(props: {
  draft: Draft;
  label: string | undefined;
  onSend: () => void;
  onFiles: (files: File[]) => void;
}) {
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      props.onSend();
    }
  };
  const onPaste = (event: ClipboardEvent<HTMLTextAreaElement>) => {
    const files = [...event.clipboardData.files];
    if (files.length === 0) return;
    event.preventDefault();
    props.onFiles(files);
  };
  return (
    <textarea
      ref={props.draft.field}
      className="composer-input"
      aria-label={props.label ?? 'Message'}
      placeholder={props.label ?? 'Write a message'}
      rows={1}
      maxLength={maxMessageBodyLength}
      value={props.draft.text}
      onChange={(event) => props.draft.change(event.target.value)}
      onBlur={props.draft.stopTyping}
      onKeyDown={onKeyDown}
      onPaste={onPaste}
    />
  );
}
