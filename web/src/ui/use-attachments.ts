import type { Upload } from '@palaver/contracts';
import { maxAttachments } from '@palaver/contracts/limits';
import { useEffect, useState } from 'react';
import { ApiError, describeError } from '../api/api-error.ts';

/** A problem to show under the composer; a connection problem goes once the connection is back. */
interface AttachError {
  text: string;
  connection: boolean;
}

const offlineAttachError = 'Attaching files needs a connection. Try again once you are back online.';

/**
 * Files staged for the next message. Every way in (picker, paste, drop) goes through `add`:
 * offline it refuses at once rather than try an upload that cannot reach the server.
 */
export function useAttachments(
  upload: (files: File[], onProgress: (fraction: number) => void) => Promise<Upload[]>,
  online: boolean,
  afterUpload: () => void,
) {
  const [attached, setAttached] = useState<Upload[]>([]);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<AttachError | null>(null);

  // Reconnected: "cannot reach the server" is no longer true.
  useEffect(() => {
    if (online) setError((held) => (held?.connection ? null : held));
  }, [online]);

  const fail = (text: string, connection = false) => setError({ text, connection });

  const add = async (files: File[]) => {
    if (files.length === 0) return;
    if (!online) return fail(offlineAttachError, true);
    if (progress !== null) return fail('Wait for the current upload to finish.');
    if (attached.length + files.length > maxAttachments) {
      return fail(`At most ${maxAttachments} files per message.`);
    }
    setError(null);
    setProgress(0);
    try {
      const uploads = await upload(files, setProgress);
      setAttached((held) => [...held, ...uploads]);
    } catch (failure) {
      fail(
        `Upload failed: ${describeError(failure)}`,
        failure instanceof ApiError && failure.code === 'network',
      );
    } finally {
      setProgress(null);
      afterUpload();
    }
  };

  return {
    attached,
    progress,
    error: error?.text ?? null,
    add,
    remove: (item: Upload) => setAttached((held) => held.filter((other) => other !== item)),
    /** After sending: nothing staged, nothing to complain about. */
    clear: () => {
      setAttached([]);
      setError(null);
    },
  };
}
