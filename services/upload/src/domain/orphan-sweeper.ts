import type { Logger } from '@palaver/logger';
import type { BlobStore } from '../store/blob-store.ts';
import type { UploadStore } from '../store/upload-store.ts';
import { blobsOf, releaseBlobs } from './blob-release.ts';

/** Partial writes older than this are from a crash, not an upload in progress. */
const abandonedAfterMs = 6 * 3600_000;

/**
 * Deletes uploads nobody sent in a message within `ttlSeconds`, with their blobs when
 * no other upload shares them. `sweep` is one pass; tests call it with a later `now`.
 */
export function createOrphanSweeper(deps: {
  uploads: UploadStore;
  blobs: BlobStore;
  ttlSeconds: number;
  logger: Logger;
}) {
  const sweep = async (now = new Date()) => {
    const cutoff = new Date(now.getTime() - deps.ttlSeconds * 1000);
    let uploads = 0;
    let blobs = 0;
    for (;;) {
      const orphans = await deps.uploads.unsentBefore(cutoff, 100);
      for (const orphan of orphans) {
        if (!(await deps.uploads.removeOrphan(orphan._id))) continue;
        uploads++;
        blobs += await releaseBlobs(deps, blobsOf(orphan), cutoff);
      }
      if (orphans.length < 100) break;
    }
    const partials = await deps.blobs.removeAbandoned(new Date(now.getTime() - abandonedAfterMs));
    if (uploads + partials > 0) deps.logger.info({ uploads, blobs, partials }, 'swept orphaned uploads');
    return { uploads, blobs, partials };
  };

  const start = (intervalMs: number) => {
    let running: Promise<unknown> | undefined;
    const timer = setInterval(() => {
      running ??= sweep()
        .catch((err) => deps.logger.warn({ err }, 'orphan sweep failed; will retry'))
        .finally(() => {
          running = undefined;
        });
    }, intervalMs);
    timer.unref();
    return async () => {
      clearInterval(timer);
      await running;
    };
  };

  return { sweep, start };
}

export type OrphanSweeper = ReturnType<typeof createOrphanSweeper>;
