import { Readable } from 'node:stream';
import sharp from 'sharp';
import { UploadError } from '../errors.ts';
import type { BlobStore, StoredBlob, WrittenBlob } from '../store/blob-store.ts';
import type { VariantRecord } from '../store/upload-store.ts';

/** Largest image decoded (sharp holds the encoded input in memory while it works). */
export const imageMaxBytes = 50 * 1024 * 1024;
/** Decompression bombs: a tiny file that decodes to gigapixels is refused. */
const maxPixels = 100_000_000;
const thumbnailEdge = 320;
/** Avatars are shown at most ~100 CSS px: 256 px is sharp at 2× and a few KB as WebP. */
const avatarEdge = 256;

const formats = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
} as const;

export interface ImageVariants {
  served: VariantRecord;
  thumbnail: VariantRecord;
  width: number;
  height: number;
}

/**
 * Re-encodes an image without its metadata (EXIF, GPS, XMP, comments are dropped because
 * `withMetadata` is never called; orientation is applied to the pixels first), and makes
 * a WebP thumbnail. The re-encoded copy is what is stored and served.
 */
export async function createImageVariants(
  input: Buffer,
  mime: keyof typeof formats,
  store: BlobStore,
  /** Told every blob written, also when this throws, so the caller can release them. */
  written: WrittenBlob[],
  /** `square`: the thumbnail is cropped to a square around the image's most salient part (avatars). */
  shape: 'inside' | 'square' = 'inside',
): Promise<ImageVariants> {
  const animated = mime === 'image/gif' || mime === 'image/webp';
  const open = () => sharp(input, { limitInputPixels: maxPixels, animated, failOn: 'error' });
  let meta: sharp.Metadata;
  try {
    meta = await open().metadata();
  } catch {
    throw new UploadError('unsupported_type', 'The image could not be read');
  }
  const rotated = (meta.orientation ?? 1) >= 5;
  const width = (rotated ? (meta.pageHeight ?? meta.height) : meta.width) ?? 1;
  const height = (rotated ? meta.width : (meta.pageHeight ?? meta.height)) ?? 1;

  const served = open().autoOrient().keepIccProfile().toFormat(formats[mime]);
  const thumbnail = sharp(input, { limitInputPixels: maxPixels, failOn: 'error' })
    .autoOrient()
    .resize(resizeFor(shape))
    .webp({ quality: 80 });
  // Encoded to buffers first (sharp holds the whole output before it streams it anyway),
  // so only a decode failure is a 415; a store failure (ENOSPC, EACCES) stays a 500.
  let encoded: [Buffer, Buffer];
  try {
    encoded = await Promise.all([served.toBuffer(), thumbnail.toBuffer()]);
  } catch {
    throw new UploadError('unsupported_type', 'The image could not be read');
  }
  // Both writes settle before this returns or throws, and each that landed is in
  // `written`: a failed request releases them all, none is left behind.
  const puts = await Promise.allSettled(encoded.map((bytes) => store.put(Readable.from(bytes))));
  for (const put of puts) if (put.status === 'fulfilled') written.push(put.value);
  const [servedPut, thumbnailPut] = puts;
  if (servedPut?.status !== 'fulfilled') throw servedPut?.reason;
  if (thumbnailPut?.status !== 'fulfilled') throw thumbnailPut?.reason;
  const blob = ({ sha256, size }: StoredBlob) => ({ sha256, size });
  return {
    served: { ...blob(servedPut.value), mime },
    thumbnail: { ...blob(thumbnailPut.value), mime: 'image/webp' },
    width,
    height,
  };
}

// A small avatar is enlarged rather than left off-square: every avatar shows at one size.
const resizeFor = (shape: 'inside' | 'square'): sharp.ResizeOptions =>
  shape === 'square'
    ? { width: avatarEdge, height: avatarEdge, fit: 'cover', position: 'attention' }
    : { width: thumbnailEdge, height: thumbnailEdge, fit: 'inside', withoutEnlargement: true };

export const isProcessableImage = (mime: string): mime is keyof typeof formats => mime in formats;
