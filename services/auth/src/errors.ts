import { DomainError, type ErrorCatalogue } from '@palaver/service-kit';

/** Every error code the auth service answers with, beside the common ones, and its status. */
export const authErrors = {
  username_taken: 409,
  invalid_credentials: 401,
  invalid_refresh_token: 401,
  session_revoked: 401,
  /** `avatarUploadId`: no upload the caller may read has that id. */
  avatar_not_found: 400,
  /** `avatarUploadId`: someone else's avatar. */
  avatar_not_yours: 400,
  /** `avatarUploadId`: the caller's, but an attachment, not an image made with POST /uploads/avatar. */
  not_an_avatar: 400,
} as const satisfies ErrorCatalogue;

export type AuthErrorCode = keyof typeof authErrors;

export class AuthError extends DomainError<AuthErrorCode | 'not_found' | 'unauthorized' | 'unavailable'> {}
