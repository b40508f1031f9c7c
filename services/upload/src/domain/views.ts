import type { Upload, UploadVariant } from '@palaver/contracts';
import { fileFacts } from '@palaver/contracts';
import type { UploadRecord } from '../store/upload-store.ts';
import type { UrlSigner } from './signed-urls.ts';

/** Builds the signed links a reader uses without a bearer token. */
export function createLinks(signer: UrlSigner, publicPrefix: string) {
  return (id: string, variant: UploadVariant, reader: string, now = Date.now()) => {
    const { expires, sig } = signer.sign(id, variant, reader, now);
    const path = variant === 'thumbnail' ? `/uploads/${id}/thumbnail` : `/uploads/${id}`;
    return {
      url: `${publicPrefix}${path}?${new URLSearchParams({ reader, expires: String(expires), sig })}`,
      expiresAt: new Date(expires * 1000),
    };
  };
}

export type Links = ReturnType<typeof createLinks>;

/** An upload as `reader` sees it, with links made for them. */
export function toUpload(record: UploadRecord, links: Links, reader: string): Upload {
  const id = record._id.toHexString();
  return {
    id,
    uploaderId: record.uploaderId.toHexString(),
    purpose: record.purpose ?? 'attachment',
    ...fileFacts(record),
    sha256: record.sha256,
    url: links(id, 'original', reader).url,
    ...(record.thumbnail ? { thumbnailUrl: links(id, 'thumbnail', reader).url } : {}),
    createdAt: record.createdAt.toISOString(),
  };
}
