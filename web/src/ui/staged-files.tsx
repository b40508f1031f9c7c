import type { Upload } from '@palaver/contracts';
import { fileSize } from './format.ts';
import { FileIcon } from './icons.tsx';

/** The upload under way, as a labelled progress bar. */
export function UploadProgress({ progress }: { progress: number | null }) {
  if (progress === null) return null;
  return (
    <div className="upload-progress">
      <label htmlFor="upload-progress">Uploading… {Math.round(progress * 100)}%</label>
      <progress id="upload-progress" max={1} value={progress} />
    </div>
  );
}

/** Files uploaded and waiting for Send, each with a button to take it off again. */
export function StagedFiles({
  attached,
  onRemove,
}: {
  attached: Upload[];
  onRemove: (item: Upload) => void;
}) {
  if (attached.length === 0) return null;
  return (
    <ul className="staged-files" aria-label="Attached files">
      {attached.map((item) => (
        <li key={item.id}>
          {item.thumbnailUrl ? <img src={item.thumbnailUrl} alt="" /> : <FileIcon />}
          <span className="file-name">{item.name}</span>
          <span className="file-size">{fileSize(item.size)}</span>
          <button type="button" aria-label={`Remove ${item.name}`} onClick={() => onRemove(item)}>
            ×
          </button>
        </li>
      ))}
    </ul>
  );
}
