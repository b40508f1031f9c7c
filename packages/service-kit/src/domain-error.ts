/**
 * A failure the caller can act on, identified by a stable `code`. Domain code throws
 * these without knowing about HTTP; the error handler maps codes to statuses once.
 */
export class DomainError<Code extends string = string> extends Error {
  override name = 'DomainError';
  readonly code: Code;
  readonly details: unknown;

  constructor(code: Code, message: string, details?: unknown) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

/** Maps each error code a service can produce to its HTTP status. */
export type ErrorCatalogue = Readonly<Record<string, number>>;
