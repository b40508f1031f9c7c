import type { UploadVariant } from '@palaver/contracts';
import { Types } from 'mongoose';
import { UploadError, uploadNotFound } from '../errors.ts';
import type { UploadRecord, UploadStore, VariantRecord } from '../store/upload-store.ts';
import { safeImageTypes } from './content-types.ts';
import { contentDisposition } from './file-names.ts';
import type { UrlSignature, UrlSigner } from './signed-urls.ts';

/** What a download streams and how it presents itself. */
export interface Download {
  blob: VariantRecord;
  disposition: string;
}

/**
 * Who may read an upload: its uploader, and members of any conversation it was sent in
 * (as the message events last told); an avatar, anyone signed in (a profile is public to
 * them). Everyone else is told it does not exist.
 */
export function createUploadAccess(deps: { uploads: UploadStore; signer: UrlSigner }) {
  const { uploads, signer } = deps;

  const load = async (id: string) => {
    if (!Types.ObjectId.isValid(id)) throw uploadNotFound();
    const record = await uploads.findById(id);
    if (!record) throw uploadNotFound();
    return record;
  };

  const forUser = async (id: string, userId: string): Promise<UploadRecord> => {
    const record = await load(id);
    if (record.uploaderId.toHexString() === userId) return record;
    if (record.purpose === 'avatar') return record;
    if (await uploads.readableBy(record._id, userId)) return record;
    throw uploadNotFound();
  };

  return {
    forUser,

    /**
     * A signed link stands in for its reader's token, not for their permission: the
     * signature is checked first, so forgeries learn nothing, then the reader's access as
     * it is now, so a link stops opening the file the moment they leave or are removed.
     */
    forSignature: async (id: string, variant: UploadVariant, signature: UrlSignature) => {
      if (!signer.verify(id, variant, signature)) {
        throw new UploadError('invalid_signature', 'The link is invalid or has expired');
      }
      return forUser(id, signature.reader);
    },
  };
}

export type UploadAccess = ReturnType<typeof createUploadAccess>;

/** Safe images open inline; anything else only ever downloads, under its sanitised name. */
export function describeDownload(record: UploadRecord, variant: UploadVariant): Download {
  if (variant === 'thumbnail') {
    if (!record.thumbnail) throw uploadNotFound();
    const name = `${record.name.replace(/\.[^.]*$/, '')}.thumbnail.webp`;
    return { blob: record.thumbnail, disposition: contentDisposition('inline', name) };
  }
  const inline = safeImageTypes.has(record.mime) && record.thumbnail !== null;
  return {
    blob: { sha256: record.sha256, size: record.size, mime: record.mime },
    disposition: contentDisposition(inline ? 'inline' : 'attachment', record.name),
  };
}
