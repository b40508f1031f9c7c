import type { Readable } from 'node:stream';

/** What a stored blob is called by: the hex SHA-256 of its bytes. */
export interface StoredBlob {
  sha256: string;
  size: number;
}

/** What `put` wrote: the blob, and when this write of it landed (`stat`'s `storedAt`). */
export interface WrittenBlob extends StoredBlob {
  storedAt: Date;
}

/** Inclusive byte offsets, as in an HTTP Range. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Content-addressed byte storage. Routes and domain code see only this, so another
 * backend (an S3-compatible bucket) can replace the local folder without touching them.
 */
export interface BlobStore {
  /**
   * Streams `source` in, hashing as it goes; identical content is stored once. Every
   * write stamps the blob anew, so `stat(sha).storedAt` differs from this write's
   * `storedAt` once someone else has written the same content since.
   */
  put: (source: Readable) => Promise<WrittenBlob>;
  /** A stream of the blob, or of `range` of it; rejects with `BlobMissingError` if absent. */
  open: (sha256: string, range?: ByteRange) => Promise<Readable>;
  stat: (sha256: string) => Promise<{ size: number; storedAt: Date } | undefined>;
  delete: (sha256: string) => Promise<void>;
  /** Removes partial writes left by a crash, older than `before`. */
  removeAbandoned: (before: Date) => Promise<number>;
  /** Resolves when the store accepts writes: for readiness. */
  check: () => Promise<void>;
}

export class BlobMissingError extends Error {
  override name = 'BlobMissingError';
}

export const isSha256 = (value: string) => /^[0-9a-f]{64}$/.test(value);
