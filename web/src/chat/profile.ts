import type { PublicUser, UpdateMeBody, Upload } from '@palaver/contracts';
import { uploadAvatar } from '../api/upload-files.ts';
import type { ChatContext } from './chat-context.ts';
import type { ChatState } from './chat-state.ts';

/** What the profile dialog changes; what is absent stays as it is. */
export interface ProfileChange {
  displayName?: string;
  /** A picture to upload and show from now on, or null to go back to initials. */
  picture?: File | null;
}

/**
 * Saves a profile change: a new picture is uploaded first (as an avatar), then the name and
 * the picture are set in one PATCH, so nobody sees half of the change. The answer goes into
 * the user cache and the stored session at once; other people get it by `user:updated`.
 * `onUploaded` gets the new picture's upload (its links show it without another request).
 */
export async function saveProfile(
  context: ChatContext,
  change: ProfileChange,
  onUploaded?: (upload: Upload) => void,
): Promise<void> {
  const body: UpdateMeBody = {};
  if (change.displayName !== undefined) body.displayName = change.displayName;
  if (change.picture === null) body.avatarUploadId = null;
  if (change.picture) {
    const upload = await uploadAvatar(context.auth, change.picture);
    onUploaded?.(upload);
    body.avatarUploadId = upload.id;
  }
  if (Object.keys(body).length === 0) return;
  applyUser(context, await context.api.updateMe(body));
}

/** A profile as it is now: into the user cache, and into the stored session when it is mine. */
export function applyUser(context: ChatContext, user: PublicUser): void {
  context.store.update((state) => withUser(state, user));
  if (user.id === context.store.get().me) context.auth.updateUser(user);
}

export const withUser = (state: ChatState, user: PublicUser): ChatState => ({
  ...state,
  users: { ...state.users, [user.id]: user },
});
