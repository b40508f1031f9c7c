import type { BlobStore, WrittenBlob } from '../store/blob-store.ts';
import type { UploadRecord, UploadStore } from '../store/upload-store.ts';

export const blobsOf = (record: UploadRecord) => [
  record.sha256,
  ...(record.thumbnail ? [record.thumbnail.sha256] : []),
];

type ReleaseDeps = { uploads: UploadStore; blobs: BlobStore };

/** Deletes each of `shas` no upload refers to and `mayDelete` allows (given its `storedAt`). */
async function release(
  deps: ReleaseDeps,
  shas: Iterable<string>,
  mayDelete?: (sha256: string, storedAt: Date) => boolean,
): Promise<number> {
  let deleted = 0;
  for (const sha256 of new Set(shas)) {
    if (await deps.uploads.blobInUse(sha256)) continue;
    if (mayDelete) {
      const stat = await deps.blobs.stat(sha256);
      if (!stat || !mayDelete(sha256, stat.storedAt)) continue;
    }
    await deps.blobs.delete(sha256);
    deleted++;
  }
  return deleted;
}

/**
 * Deletes blobs no upload refers to any more. Identical content shares a blob, so a
 * blob goes only with its last upload. `storedBefore` spares a blob written again since
 * (an identical upload in flight, whose record is not stored yet).
 */
export function releaseBlobs(deps: ReleaseDeps, shas: string[], storedBefore?: Date): Promise<number> {
  return release(deps, shas, storedBefore && ((_sha, storedAt) => storedAt < storedBefore));
}

/**
 * Undoes a failed request's writes: deletes each blob it wrote that no upload refers to
 * and that nobody has written since. An identical upload in flight rewrites the blob
 * (a new `storedAt`) before it inserts its record, so its blob is spared. A cut-off
 * such as the request's start would not do: every blob this request wrote is newer
 * than that, so nothing would ever be deleted.
 */
export function releaseWrites(deps: ReleaseDeps, writes: WrittenBlob[]): Promise<number> {
  const ownStamps = new Map<string, Set<number>>();
  for (const { sha256, storedAt } of writes) {
    const stamps = ownStamps.get(sha256) ?? new Set<number>();
    stamps.add(storedAt.getTime());
    ownStamps.set(sha256, stamps);
  }
  return release(deps, ownStamps.keys(), (sha256, storedAt) =>
    Boolean(ownStamps.get(sha256)?.has(storedAt.getTime())),
  );
}
