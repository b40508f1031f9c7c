/**
 * A request to another service on behalf of the caller, with the caller's own token, so
 * that the other service applies its own access rules; given up after `timeoutMs`. A `body`
 * is POSTed as JSON. When the service cannot be reached in time this throws `unreachable()`
 * (the asking service's own error); any answer, whatever its status, is returned.
 */
export async function fetchOnBehalfOf(
  url: URL,
  authorization: string,
  options: { timeoutMs: number; unreachable: () => Error; body?: unknown },
): Promise<Response> {
  const { timeoutMs, unreachable, body } = options;
  try {
    return await fetch(url, {
      ...(body === undefined
        ? { headers: { authorization } }
        : {
            method: 'POST',
            headers: { authorization, 'content-type': 'application/json' },
            body: JSON.stringify(body),
          }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch {
    throw unreachable();
  }
}
