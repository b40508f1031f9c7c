import { DomainError, type ErrorCatalogue } from '@palaver/service-kit';

/** Every error code the auth service answers with, beside the common ones, and its status. */
export const authErrors = {
  username_taken: 409,
  invalid_credentials: 401,
  invalid_refresh_token: 401,
  session_revoked: 401,
} as const satisfies ErrorCatalogue;

export type AuthErrorCode = keyof typeof authErrors;

export class AuthError extends DomainError<AuthErrorCode | 'not_found' | 'unauthorized'> {}
