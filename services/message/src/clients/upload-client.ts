import { Attachment, ObjectIdString } from '@palaver/contracts';
import { fetchOnBehalfOf } from '@palaver/service-kit';
import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { UploadLookup } from '../domain/messages.ts';
import { MessageError } from '../errors.ts';
import { knownUpload } from '../store/message-store.ts';

/** The part of the upload service's `Upload` an attachment is made of. */
const { uploadId: _, ...described } = Attachment.properties;
const upload = TypeCompiler.Compile(
  Type.Object({ id: ObjectIdString, uploaderId: ObjectIdString, ...described }),
);

/**
 * Asks the upload service about uploads its `upload.created` event has not brought yet,
 * on behalf of the sender (their own token): an upload can be attached the moment its
 * upload request has answered. Unknown, or someone else's, reads as not found.
 */
export function createUploadLookup(baseUrl: string | undefined, timeoutMs = 3000): UploadLookup {
  return async (uploadIds, senderId, onBehalfOf) => {
    if (!baseUrl || !onBehalfOf) return [];
    const found = await Promise.all(
      uploadIds.map(async (id) => {
        const response = await fetchOnBehalfOf(new URL(`/uploads/${id}/meta`, baseUrl), onBehalfOf, {
          timeoutMs,
          unreachable: () => new MessageError('unavailable', 'The upload service cannot be reached; retry'),
        });
        if (response.status === 404) return null;
        if (!response.ok) throw new MessageError('unavailable', 'The upload service cannot answer; retry');
        const body: unknown = await response.json();
        if (!upload.Check(body) || body.uploaderId !== senderId) return null;
        return knownUpload(body);
      }),
    );
    return found.filter((upload) => upload !== null);
  };
}
