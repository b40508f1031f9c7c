import type { FastifyRequest } from 'fastify';
import { DomainError } from './domain-error.ts';

/** `X-Request-Start`: `t=<seconds since the epoch>` (nginx's `$msec`) or `t=<milliseconds>`. */
export function requestStartOf(value: string | string[] | undefined): number | undefined {
  const match = typeof value === 'string' ? /^t=(\d+(?:\.\d+)?)$/.exec(value.trim()) : null;
  if (!match) return undefined;
  const stamp = Number(match[1]);
  return stamp < 1e11 ? stamp * 1000 : stamp;
}

/** The header value a caller stamps on a request it makes now. */
export const requestStartHeader = (now = Date.now()) => `t=${(now / 1000).toFixed(3)}`;

/**
 * Refuses, before any work, a request that waited longer than `maxMs` between its caller
 * (the edge, or a gateway forwarding a socket send, which stamp `X-Request-Start`) and this
 * handler. Under CPU saturation requests queue in socket buffers and the event loop, where
 * no in-flight count sees them; dropping the stale ones at once keeps the fresh ones fast,
 * and their callers are about to give up anyway. Unstamped requests pass; 0 turns it off.
 */
export function queueTimeLimit(maxMs: number, retryAfterSeconds = 1) {
  return async (request: FastifyRequest) => {
    if (maxMs <= 0) return;
    const started = requestStartOf(request.headers['x-request-start']);
    if (started !== undefined && Date.now() - started > maxMs) {
      throw new DomainError('unavailable', 'The service is overloaded; retry shortly', undefined, {
        retryAfterSeconds,
      });
    }
  };
}
