import type { Upload, UploadList } from '@palaver/contracts';
import { ApiError } from './api-error.ts';
import type { AuthSession } from './auth-session.ts';

/**
 * POST /api/uploads with XMLHttpRequest, because fetch still cannot report upload progress.
 * `onProgress` gets a fraction from 0 to 1.
 */
export async function uploadFiles(
  auth: AuthSession,
  files: File[],
  onProgress: (fraction: number) => void,
  signal?: AbortSignal,
): Promise<Upload[]> {
  return ((await postFiles(auth, '/api/uploads', files, onProgress, signal)) as UploadList).uploads;
}

/** POST /api/uploads/avatar: one image, readable by everyone signed in, to set with `updateMe`. */
export async function uploadAvatar(
  auth: AuthSession,
  file: File,
  onProgress: (fraction: number) => void = () => {},
): Promise<Upload> {
  return (await postFiles(auth, '/api/uploads/avatar', [file], onProgress)) as Upload;
}

/** A multipart POST of `files`, once more with a refreshed token after a 401; the 201 body. */
async function postFiles(
  auth: AuthSession,
  path: string,
  files: File[],
  onProgress: (fraction: number) => void,
  signal?: AbortSignal,
): Promise<unknown> {
  const attempt = (token: string) =>
    new Promise<{ status: number; body: unknown }>((resolve, reject) => {
      const form = new FormData();
      for (const file of files) form.append('file', file, file.name);
      const xhr = new XMLHttpRequest();
      xhr.open('POST', path);
      xhr.setRequestHeader('authorization', `Bearer ${token}`);
      xhr.responseType = 'json';
      xhr.upload.onprogress = (event) => {
        if (event.lengthComputable) onProgress(event.loaded / event.total);
      };
      xhr.onload = () => resolve({ status: xhr.status, body: xhr.response });
      xhr.onerror = () => reject(new ApiError('network', 'Cannot reach the server', 0));
      xhr.onabort = () => reject(new ApiError('aborted', 'Upload cancelled', 0));
      signal?.addEventListener('abort', () => xhr.abort(), { once: true });
      xhr.send(form);
    });

  let result = await attempt(await auth.accessToken());
  if (result.status === 401) result = await attempt((await auth.refresh()).accessToken);
  if (result.status !== 201) {
    const error = (result.body as { error?: { code: string; message: string } } | null)?.error;
    throw new ApiError(error?.code ?? 'http_error', error?.message ?? 'Upload failed', result.status);
  }
  onProgress(1);
  return result.body;
}
