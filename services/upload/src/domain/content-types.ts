import { Readable } from 'node:stream';
import { fileTypeFromBuffer } from 'file-type';
import { UploadError } from '../errors.ts';

/** Images browsers may render inline; everything else is served as a download. */
export const safeImageTypes = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

/** What file-type needs to recognise every format it knows. */
const sniffBytes = 4100;

const unknownType = 'application/octet-stream';

/** `image/png,image/*` → a predicate over detected MIME types. */
export function allowedTypes(list: string): (mime: string) => boolean {
  const entries = list
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter(Boolean);
  return (mime) =>
    entries.some((entry) => entry === mime || (entry.endsWith('/*') && mime.startsWith(entry.slice(0, -1))));
}

/**
 * Reads the first bytes of `source`, names its type from magic bytes (the client's name
 * and Content-Type are ignored) and refuses types that are not allowed before anything
 * is stored. `stream` replays those bytes and then the rest, pulling on demand, and
 * fails with `file_too_large` once more than `maxBytes` have passed.
 */
export async function sniffContent(
  source: Readable,
  options: { isAllowed: (mime: string) => boolean; maxBytes: number },
): Promise<{ mime: string; stream: Readable; bytesRead: () => number }> {
  const iterator: AsyncIterator<Buffer> = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLength = 0;
  let ended = false;
  while (headLength < sniffBytes) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    head.push(next.value);
    headLength += next.value.length;
  }
  const detected = await fileTypeFromBuffer(Buffer.concat(head));
  const mime = detected?.mime ?? unknownType;
  if (headLength > options.maxBytes) {
    await iterator.return?.();
    throw tooLarge(options.maxBytes);
  }
  if (!options.isAllowed(mime)) {
    await iterator.return?.();
    throw new UploadError('unsupported_type', `Files of type ${mime} are not accepted`, { mime });
  }
  let total = headLength;
  async function* replay() {
    yield* head;
    if (ended) return;
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        total += next.value.length;
        if (total > options.maxBytes) throw tooLarge(options.maxBytes);
        yield next.value;
      }
    } finally {
      // Stop the source too when the reader gives up or the limit is hit.
      if (!ended) await iterator.return?.();
    }
  }
  return { mime, stream: Readable.from(replay(), { objectMode: false }), bytesRead: () => total };
}

const tooLarge = (maxBytes: number) =>
  new UploadError('file_too_large', `A file may have at most ${maxBytes} bytes`, { maxBytes });
