import type { CommonErrorCode } from '@palaver/contracts';

/**
 * A failure the caller can act on, identified by a stable `code`. Domain code throws
 * these without knowing about HTTP; the error handler maps codes to statuses once.
 */
export class DomainError<Code extends string = string> extends Error {
  override name = 'DomainError';
  readonly code: Code;
  readonly details: unknown;
  /** When the caller may try again (sent as `Retry-After`, in seconds). */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: Code, message: string, details?: unknown, options: { retryAfterSeconds?: number } = {}) {
    super(message);
    this.code = code;
    this.details = details;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** Maps each error code a service can produce to its HTTP status. */
export type ErrorCatalogue = Readonly<Record<string, number>>;

/** The codes a service's errors carry: its catalogue's and the common ones, which every handler maps too. */
export type ErrorCodeOf<Catalogue extends ErrorCatalogue> = (keyof Catalogue & string) | CommonErrorCode;
