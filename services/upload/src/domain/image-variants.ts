import sharp from 'sharp';
import { UploadError } from '../errors.ts';
import type { BlobStore } from '../store/blob-store.ts';
import type { VariantRecord } from '../store/upload-store.ts';

/** Largest image decoded (sharp holds the encoded input in memory while it works). */
export const imageMaxBytes = 50 * 1024 * 1024;
/** Decompression bombs: a tiny file that decodes to gigapixels is refused. */
const maxPixels = 100_000_000;
const thumbnailEdge = 320;

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
    .resize(thumbnailEdge, thumbnailEdge, { fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 80 });
  try {
    const [servedBlob, thumbnailBlob] = await Promise.all([store.put(served), store.put(thumbnail)]);
    return {
      served: { ...servedBlob, mime },
      thumbnail: { ...thumbnailBlob, mime: 'image/webp' },
      width,
      height,
    };
  } catch (error) {
    if (error instanceof UploadError) throw error;
    throw new UploadError('unsupported_type', 'The image could not be read');
  }
}

export const isProcessableImage = (mime: string): mime is keyof typeof formats => mime in formats;
