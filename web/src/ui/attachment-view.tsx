import type { Attachment } from '@palaver/contracts';
import { useContext, useEffect, useRef, useState } from 'react';
import { fileSize } from './format.ts';
import { FileIcon } from './icons.tsx';
import { UploadLinksContext, useUploadLinks } from './upload-links.ts';

/** An image as a thumbnail that opens larger, or a file as a download with name and size. */
export function AttachmentView({ attachment }: { attachment: Attachment }) {
  return attachment.mime.startsWith('image/') ? (
    <ImageAttachment attachment={attachment} />
  ) : (
    <FileAttachment attachment={attachment} />
  );
}

function ImageAttachment({ attachment }: { attachment: Attachment }) {
  const links = useUploadLinks(attachment.uploadId);
  const [open, setOpen] = useState(false);
  const { width = 320, height = 240 } = attachment;
  const scale = Math.min(1, 240 / Math.max(width, height));
  const box = { width: Math.round(width * scale), height: Math.round(height * scale) };
  if (links === 'error') return <p className="attachment-error">Image unavailable</p>;
  return (
    <>
      <button
        type="button"
        className="image-attachment"
        style={{ aspectRatio: `${box.width} / ${box.height}`, width: box.width }}
        onClick={() => setOpen(true)}
        aria-label={`Open image ${attachment.name}`}
      >
        {links ? (
          <img
            src={links.thumbnailUrl ?? links.url}
            alt={attachment.name}
            width={box.width}
            height={box.height}
          />
        ) : (
          <span className="image-placeholder" role="status">
            Loading image…
          </span>
        )}
      </button>
      {open && <ImageViewer attachment={attachment} onClose={() => setOpen(false)} />}
    </>
  );
}

/** The full image in a modal dialog; Escape or the button closes it. */
function ImageViewer({ attachment, onClose }: { attachment: Attachment; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const resolve = useContext(UploadLinksContext);
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    dialog.current?.showModal?.();
    resolve(attachment.uploadId).then(
      (links) => setUrl(links.url),
      () => setUrl(null),
    );
  }, [resolve, attachment.uploadId]);
  return (
    <dialog ref={dialog} className="image-viewer" onClose={onClose} aria-label={attachment.name}>
      <div className="image-viewer-bar">
        <span>{attachment.name}</span>
        {url && (
          <a href={url} download={attachment.name}>
            Download
          </a>
        )}
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      {url ? <img src={url} alt={attachment.name} /> : <p role="status">Loading…</p>}
    </dialog>
  );
}

function FileAttachment({ attachment }: { attachment: Attachment }) {
  const links = useUploadLinks(attachment.uploadId);
  const resolve = useContext(UploadLinksContext);
  const label = (
    <>
      <FileIcon />
      <span className="file-name">{attachment.name}</span>
      <span className="file-size">{fileSize(attachment.size)}</span>
    </>
  );
  if (links && links !== 'error') {
    return (
      <a
        className="file-attachment"
        href={links.url}
        download={attachment.name}
        onClick={(event) => {
          // The rendered link may have expired (links live ~5 minutes): fetch a fresh one.
          event.preventDefault();
          void resolve(attachment.uploadId).then((fresh) => download(fresh.url, attachment.name));
        }}
      >
        {label}
        <span className="visually-hidden">, download</span>
      </a>
    );
  }
  return <span className="file-attachment">{label}</span>;
}

function download(url: string, name: string) {
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
}
