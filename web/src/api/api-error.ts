/** An HTTP or socket failure with the server's stable `code` (docs/api.md), or `network`. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(code: string, message: string, status: number) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
  }
}

export async function errorFromResponse(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } };
    if (body.error?.code) return new ApiError(body.error.code, body.error.message ?? '', response.status);
  } catch {
    // Not our JSON error shape (e.g. the edge's own 502 page): fall through to a generic error.
  }
  return new ApiError(
    response.status >= 500 ? 'unavailable' : 'http_error',
    response.statusText,
    response.status,
  );
}

/** Words for a person, not a developer: what happened and what to do. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    switch (error.code) {
      case 'invalid_credentials':
        return 'Wrong username or password.';
      case 'username_taken':
        return 'That username is taken; try another.';
      case 'rate_limited':
        return 'Too many attempts. Wait a minute and try again.';
      case 'network':
        return 'Cannot reach the server. Check your connection and try again.';
      case 'unavailable':
        return 'The server is busy or restarting. Try again in a moment.';
      case 'invalid_request':
        return error.message || 'Some of what you entered is not valid.';
      case 'file_too_large':
        return 'That file is too large (the limit is 25 MB).';
      case 'unsupported_type':
        return 'That kind of file cannot be sent.';
      default:
        return error.message || 'Something went wrong. Try again.';
    }
  }
  return error instanceof Error ? error.message : 'Something went wrong. Try again.';
}
