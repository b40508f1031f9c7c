import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, constants as fsConstants } from 'node:fs';
import { access, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobMissingError, type BlobStore, isSha256 } from './blob-store.ts';

/**
 * Blobs as files under `root/blobs/ab/<sha256>`. A write goes to `root/tmp/` while it is
 * hashed, then is renamed into place: rename is atomic, so a reader never sees half a
 * blob, and two identical uploads racing end as one file with the same bytes.
 */
export async function createFileBlobStore(root: string): Promise<BlobStore> {
  const tmpDir = join(root, 'tmp');
  const blobDir = join(root, 'blobs');
  await Promise.all([mkdir(tmpDir, { recursive: true }), mkdir(blobDir, { recursive: true })]);

  const pathOf = (sha256: string) => {
    // Never a path from outside: only 64 hex digits become a file name.
    if (!isSha256(sha256)) throw new BlobMissingError(`not a blob name: ${sha256.slice(0, 80)}`);
    return join(blobDir, sha256.slice(0, 2), sha256);
  };

  return {
    put: async (source) => {
      const temp = join(tmpDir, randomUUID());
      const hash = createHash('sha256');
      let size = 0;
      const digest = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          hash.update(chunk);
          size += chunk.length;
          callback(null, chunk);
        },
      });
      try {
        await pipeline(source, digest, createWriteStream(temp, { flags: 'wx' }));
        const sha256 = hash.digest('hex');
        const target = pathOf(sha256);
        await mkdir(dirname(target), { recursive: true });
        // A rename keeps the file's mtime: this is what `stat` reports until the next write.
        const { mtime } = await stat(temp);
        await rename(temp, target);
        return { sha256, size, storedAt: mtime };
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
    },

    open: async (sha256, range) => {
      try {
        const handle = await open(pathOf(sha256), 'r');
        return handle.createReadStream(range ? { start: range.start, end: range.end } : {});
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobMissingError(sha256);
        throw error;
      }
    },

    stat: async (sha256) => {
      try {
        const info = await stat(pathOf(sha256));
        return { size: info.size, storedAt: info.mtime };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },

    delete: async (sha256) => {
      await rm(pathOf(sha256), { force: true });
    },

    removeAbandoned: async (before) => {
      let removed = 0;
      for (const name of await readdir(tmpDir)) {
        const path = join(tmpDir, name);
        const info = await stat(path).catch(() => undefined);
        if (info && info.mtime < before) {
          await rm(path, { force: true });
          removed++;
        }
      }
      return removed;
    },

    check: () => access(tmpDir, fsConstants.W_OK),
  };
}
