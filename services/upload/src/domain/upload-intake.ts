import type { Readable } from 'node:stream';
import { avatarImageTypes, maxAvatarBytes, type UploadPurpose } from '@palaver/contracts';
import { Types } from 'mongoose';
import { UploadError } from '../errors.ts';
import type { BlobStore, WrittenBlob } from '../store/blob-store.ts';
import type { UploadRecord, UploadStore } from '../store/upload-store.ts';
import { releaseWrites } from './blob-release.ts';
import { sniffContent } from './content-types.ts';
import { sanitiseFileName } from './file-names.ts';
import { createImageVariants, imageMaxBytes, isProcessableImage } from './image-variants.ts';

export interface IncomingFile {
  stream: Readable;
  /** As the client named it; sanitised before it is stored. */
  filename: string | undefined;
}

export interface UploadIntakeDeps {
  uploads: UploadStore;
  blobs: BlobStore;
  isAllowed: (mime: string) => boolean;
  maxFileSize: number;
  /** Bytes each user's uploads may take in all. */
  quotaBytes: number;
  /** Told once every file of a request is stored; publishes `upload.created`. */
  onStored: (records: UploadRecord[]) => void;
  onBytesReceived?: (bytes: number) => void;
}

/** Reads a stream into memory, refusing it as soon as it passes `maxBytes`. */
async function collect(stream: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream) {
    length += (chunk as Buffer).length;
    if (length > maxBytes) {
      stream.destroy();
      throw new UploadError('file_too_large', `An image may have at most ${maxBytes} bytes`, { maxBytes });
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const avatarTypes = new Set<string>(avatarImageTypes);

// Over 80 lines as a whole: a factory whose methods (each short) share its dependencies.
/**
 * Takes the files of one request: each is checked while it streams (type by magic
 * bytes, size), stored by content, and recorded. Either every file of the request is
 * kept or none is, so a refused third file leaves no orphans from the first two.
 */
export function createUploadIntake(deps: UploadIntakeDeps) {
  const { uploads, blobs } = deps;

  /** Stores and records one file; every blob it writes goes into `written` first. */
  async function acceptOne(
    file: IncomingFile,
    uploader: { id: string; purpose: UploadPurpose },
    written: WrittenBlob[],
  ): Promise<UploadRecord> {
    const avatar = uploader.purpose === 'avatar';
    const maxBytes = avatar ? Math.min(deps.maxFileSize, maxAvatarBytes) : deps.maxFileSize;
    const image = { maxBytes: Math.min(maxBytes, imageMaxBytes) };
    const sniffed = await sniffContent(file.stream, {
      isAllowed: avatar ? (mime) => avatarTypes.has(mime) && deps.isAllowed(mime) : deps.isAllowed,
      maxBytes,
    });
    const base = {
      _id: new Types.ObjectId(),
      uploaderId: new Types.ObjectId(uploader.id),
      purpose: uploader.purpose,
      name: sanitiseFileName(file.filename),
      mime: sniffed.mime,
      eventPending: true,
      createdAt: new Date(),
    };
    let record: UploadRecord;
    if (isProcessableImage(sniffed.mime)) {
      // Bounded: images are decoded whole, so they are held in memory up to this size.
      const input = await collect(sniffed.stream, image.maxBytes);
      const variants = await createImageVariants(
        input,
        sniffed.mime,
        blobs,
        written,
        avatar ? 'square' : 'inside',
      );
      record = {
        ...base,
        sha256: variants.served.sha256,
        size: variants.served.size,
        width: variants.width,
        height: variants.height,
        thumbnail: variants.thumbnail,
      };
    } else {
      const stored = await blobs.put(sniffed.stream);
      written.push(stored);
      record = { ...base, sha256: stored.sha256, size: stored.size, thumbnail: null };
    }
    deps.onBytesReceived?.(sniffed.bytesRead());
    return uploads.insert(record);
  }

  /**
   * Undoes a failed request: its records, then the blobs it wrote (also those of a file
   * whose record was never inserted), unless another upload uses or has rewritten them.
   */
  async function discard(records: UploadRecord[], written: WrittenBlob[]) {
    for (const record of records) await uploads.remove(record._id);
    await releaseWrites(deps, written);
  }

  const overQuota = (usage: number) =>
    new UploadError('quota_exceeded', `Your uploads may take at most ${deps.quotaBytes} bytes`, {
      quotaBytes: deps.quotaBytes,
      usedBytes: usage,
    });

  return {
    /** Stores every file `files` yields; refuses an empty request. Avatars are images only. */
    accept: async (
      files: AsyncIterable<IncomingFile>,
      uploaderId: string,
      purpose: UploadPurpose = 'attachment',
    ): Promise<UploadRecord[]> => {
      // Checked before any byte is read, after each file, and once all are stored: the last
      // check sees concurrent requests of the same user, so together they cannot pass the
      // quota (when two race past it, both are refused rather than one kept at random).
      const before = await uploads.usageOf(uploaderId);
      if (before >= deps.quotaBytes) throw overQuota(before);
      const stored: UploadRecord[] = [];
      const written: WrittenBlob[] = [];
      try {
        let added = 0;
        for await (const file of files) {
          const record = await acceptOne(file, { id: uploaderId, purpose }, written);
          stored.push(record);
          added += record.size;
          if (before + added > deps.quotaBytes) throw overQuota(before + added);
        }
        if (stored.length > 0) {
          const after = await uploads.usageOf(uploaderId);
          if (after > deps.quotaBytes) throw overQuota(after);
        }
      } catch (error) {
        await discard(stored, written).catch(() => undefined);
        throw error;
      }
      if (stored.length === 0) throw new UploadError('no_files', 'Send at least one file');
      deps.onStored(stored);
      return stored;
    },
  };
}

export type UploadIntake = ReturnType<typeof createUploadIntake>;
