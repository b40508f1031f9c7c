import { avatarImageTypes, type Upload } from '@palaver/contracts';
import { fetchOnBehalfOf } from '@palaver/service-kit';
import type { AvatarCheck } from '../domain/accounts.ts';
import { AuthError } from '../errors.ts';

/** The part of the upload service's `Upload` the check reads, if the answer has it. */
const isUpload = (body: unknown): body is Pick<Upload, 'uploaderId' | 'purpose' | 'mime'> => {
  const { uploaderId, purpose, mime } = (body ?? {}) as Record<string, unknown>;
  return typeof uploaderId === 'string' && typeof purpose === 'string' && typeof mime === 'string';
};
const imageTypes = new Set<string>(avatarImageTypes);

/**
 * Asks the upload service (`GET /uploads/:id/meta`, with the caller's own token) whether an
 * upload may be the caller's avatar: theirs, made as an avatar, an image. At the moment it
 * is set, so no copy of upload records is kept here; without an upload URL avatars are off.
 */
export function createAvatarCheck(baseUrl: string | undefined, timeoutMs = 3000): AvatarCheck {
  return async (uploadId, userId, onBehalfOf) => {
    if (!baseUrl) throw new AuthError('unavailable', 'Avatars are not enabled on this server');
    const response = await fetchOnBehalfOf(new URL(`/uploads/${uploadId}/meta`, baseUrl), onBehalfOf, {
      timeoutMs,
      unreachable: () => new AuthError('unavailable', 'The upload service cannot be reached; retry'),
    });
    // Someone else's attachment reads as not found there too: nobody learns it exists.
    if (response.status === 404) {
      throw new AuthError('avatar_not_found', 'No upload you can see has that id', { uploadId });
    }
    const body: unknown = response.ok ? await response.json().catch(() => undefined) : undefined;
    if (!isUpload(body)) throw new AuthError('unavailable', 'The upload service cannot answer; retry');
    if (body.uploaderId !== userId) {
      throw new AuthError('avatar_not_yours', 'That upload is someone else’s', { uploadId });
    }
    if (body.purpose !== 'avatar' || !imageTypes.has(body.mime)) {
      throw new AuthError('not_an_avatar', 'Upload the picture with POST /uploads/avatar first', {
        uploadId,
        purpose: body.purpose,
        mime: body.mime,
      });
    }
  };
}
