import type { BlobStore } from '../store/blob-store.ts';
import type { UploadRecord, UploadStore } from '../store/upload-store.ts';

export const blobsOf = (record: UploadRecord) => [
  record.sha256,
  ...(record.thumbnail ? [record.thumbnail.sha256] : []),
];

/**
 * Deletes blobs no upload refers to any more. Identical content shares a blob, so a
 * blob goes only with its last upload. `storedBefore` spares a blob written again since
 * (an identical upload in flight, whose record is not stored yet).
 */
export async function releaseBlobs(
  deps: { uploads: UploadStore; blobs: BlobStore },
  shas: string[],
  storedBefore?: Date,
): Promise<number> {
  let deleted = 0;
  for (const sha256 of new Set(shas)) {
    if (await deps.uploads.blobInUse(sha256)) continue;
    if (storedBefore) {
      const stat = await deps.blobs.stat(sha256);
      if (!stat || stat.storedAt >= storedBefore) continue;
    }
    await deps.blobs.delete(sha256);
    deleted++;
  }
  return deleted;
}
