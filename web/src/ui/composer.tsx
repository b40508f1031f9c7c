import type { Upload } from '@palaver/contracts';
import { maxAttachments, maxMessageBodyLength } from '@palaver/contracts/limits';
import {
  type ClipboardEvent,
  type DragEvent,
  type KeyboardEvent,
  type Ref,
  useImperativeHandle,
  useRef,
  useState,
} from 'react';
import { describeError } from '../api/api-error.ts';
import { fileSize } from './format.ts';
import { FileIcon, PaperclipIcon } from './icons.tsx';

export interface ComposerHandle {
  /** Files dropped elsewhere in the conversation. */
  addFiles: (files: File[]) => void;
}

export interface ComposerProps {
  onSend: (body: string, uploads: Upload[]) => void;
  onTyping: (isTyping: boolean) => void;
  upload: (files: File[], onProgress: (fraction: number) => void) => Promise<Upload[]>;
  /** While offline, messages still queue; uploads need the network. */
  online: boolean;
  ref?: Ref<ComposerHandle>;
}

/**
 * Text and attachments. Enter sends, Shift+Enter adds a line. Files come from the picker,
 * a drop or a paste and upload at once with a progress bar; the message goes with Send.
 */
export function Composer({ onSend, onTyping, upload, online, ref }: ComposerProps) {
  const [text, setText] = useState('');
  const [attached, setAttached] = useState<Upload[]>([]);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const picker = useRef<HTMLInputElement>(null);
  const field = useRef<HTMLTextAreaElement>(null);

  const addFiles = async (files: File[]) => {
    if (files.length === 0) return;
    if (progress !== null) return setError('Wait for the current upload to finish.');
    if (attached.length + files.length > maxAttachments) {
      return setError(`At most ${maxAttachments} files per message.`);
    }
    setError(null);
    setProgress(0);
    try {
      const uploads = await upload(files, setProgress);
      setAttached((held) => [...held, ...uploads]);
    } catch (failure) {
      setError(`Upload failed: ${describeError(failure)}`);
    } finally {
      setProgress(null);
      field.current?.focus();
    }
  };

  useImperativeHandle(ref, () => ({ addFiles: (files) => void addFiles(files) }));

  const canSend = (text.trim().length > 0 || attached.length > 0) && progress === null;
  const send = () => {
    if (!canSend) return;
    onSend(text, attached);
    setText('');
    setAttached([]);
    setError(null);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      send();
    }
  };

  const onPaste = (event: ClipboardEvent<HTMLTextAreaElement>) => {
    const files = [...event.clipboardData.files];
    if (files.length > 0) {
      event.preventDefault();
      void addFiles(files);
    }
  };

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    void addFiles([...event.dataTransfer.files]);
  };

  return (
    <form
      className={`composer${dragging ? ' dragging' : ''}`}
      aria-label="Write a message"
      onSubmit={(event) => {
        event.preventDefault();
        send();
      }}
      onDragOver={(event) => {
        event.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
    >
      {progress !== null && (
        <div className="upload-progress">
          <label htmlFor="upload-progress">Uploading… {Math.round(progress * 100)}%</label>
          <progress id="upload-progress" max={1} value={progress} />
        </div>
      )}
      {attached.length > 0 && (
        <ul className="staged-files" aria-label="Attached files">
          {attached.map((item) => (
            <li key={item.id}>
              {item.thumbnailUrl ? <img src={item.thumbnailUrl} alt="" /> : <FileIcon />}
              <span className="file-name">{item.name}</span>
              <span className="file-size">{fileSize(item.size)}</span>
              <button
                type="button"
                aria-label={`Remove ${item.name}`}
                onClick={() => setAttached((held) => held.filter((other) => other !== item))}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      {error && (
        <p className="composer-error" role="alert">
          {error}
        </p>
      )}
      <div className="composer-row">
        <button
          type="button"
          className="attach-button"
          onClick={() => picker.current?.click()}
          disabled={!online || progress !== null}
          aria-label="Attach files"
          title={online ? 'Attach files' : 'Attaching files needs a connection'}
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
            void addFiles([...(event.target.files ?? [])]);
            event.target.value = '';
          }}
        />
        <textarea
          ref={field}
          className="composer-input"
          aria-label="Message"
          placeholder="Write a message"
          rows={1}
          maxLength={maxMessageBodyLength}
          value={text}
          onChange={(event) => {
            setText(event.target.value);
            onTyping(event.target.value.trim().length > 0);
          }}
          onBlur={() => onTyping(false)}
          onKeyDown={onKeyDown}
          onPaste={onPaste}
        />
        <button type="submit" className="send-button" disabled={!canSend}>
          Send
        </button>
      </div>
    </form>
  );
}
