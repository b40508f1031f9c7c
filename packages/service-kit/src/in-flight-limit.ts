import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from './domain-error.ts';

/**
 * Caps the requests a route works on at once: past `max` a request is answered 503 with
 * `Retry-After` before any parsing, token check or lookup, so an overload is refused
 * quickly instead of queueing every request behind the saturated ones.
 */
export function inFlightLimit(max: number, retryAfterSeconds = 1) {
  let inFlight = 0;
  return {
    current: () => inFlight,
    onRequest: async (_request: FastifyRequest, reply: FastifyReply) => {
      if (inFlight >= max) {
        throw new DomainError('unavailable', 'The service is overloaded; retry shortly', undefined, {
          retryAfterSeconds,
        });
      }
      inFlight++;
      // 'close' comes for every response, sent or abandoned.
      reply.raw.once('close', () => {
        inFlight--;
      });
    },
  };
}
