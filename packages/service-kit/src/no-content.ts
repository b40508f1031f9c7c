/** The response schema of a route that answers 204 with no body. */
export const noContentResponse = { 204: { type: 'null' } } as const;

/**
 * The handler of a route that does one thing and answers 204 with no body; `work` gets the
 * request as the route's schema types it.
 */
export function thenNoContent<Request, Reply extends { status: (code: 204) => { send: () => unknown } }>(
  work: (request: Request) => Promise<unknown>,
) {
  return async (request: Request, reply: Reply) => {
    await work(request);
    return reply.status(204).send();
  };
}
