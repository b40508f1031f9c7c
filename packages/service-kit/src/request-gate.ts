import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import pLimit from 'p-limit';
import { Counter, Gauge, type Registry } from 'prom-client';
import { DomainError } from './domain-error.ts';
import { requestStartOf } from './queue-time-limit.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route bounds its own work (sends: their own limits and batching), not the gate. */
    ungated?: boolean;
  }
}

export interface RequestGateOptions {
  /** Handlers running at once; each may hold several store connections. */
  inFlightMax: number;
  /** Requests waiting for a slot beyond which a new one is refused at once. */
  queuedMax: number;
  /** A request that waited longer (since its X-Request-Start stamp, else its arrival) is refused instead of run. */
  queueTimeMaxMs: number;
  retryAfterSeconds?: number;
}

type ShedReason = 'queue_full' | 'waited_too_long' | 'caller_gone';

/**
 * Bounds the work a service does at once. Every route added after it (but those marked
 * `ungated`) runs its handler in one of `inFlightMax` slots, waiting in line for one; the
 * slot is held until the handler settles, even if the caller has left meanwhile, so work
 * nobody awaits any more still counts. Without it, a caller that timed out and retried
 * left its first request running: in a reconnect storm the handlers at work grew past
 * what the store answers within the callers' timeout, every answer came too late, and
 * nothing useful finished for minutes. A request refused here (503, Retry-After) has
 * cost a token check and nothing of the store.
 */
export function installRequestGate(app: FastifyInstance, options: RequestGateOptions, metrics: Registry) {
  const limit = pLimit(options.inFlightMax);
  new Gauge({
    name: 'request_gate_in_flight',
    help: 'Requests worked on past the request gate, callers gone or not',
    registers: [metrics],
    collect() {
      this.set(limit.activeCount);
    },
  });
  new Gauge({
    name: 'request_gate_queued',
    help: 'Requests waiting at the request gate for a slot',
    registers: [metrics],
    collect() {
      this.set(limit.pendingCount);
    },
  });
  const shed = new Counter({
    name: 'request_gate_shed_total',
    help: 'Requests answered 503 at the request gate before any work, by why',
    labelNames: ['reason'] as const,
    registers: [metrics],
  });
  const refuse = (reason: ShedReason) => {
    shed.inc({ reason });
    return new DomainError('unavailable', 'The service is overloaded; retry shortly', undefined, {
      retryAfterSeconds: options.retryAfterSeconds ?? 1,
    });
  };

  function run<T>(request: FastifyRequest, reply: FastifyReply, work: () => Promise<T>): Promise<T> {
    if (limit.pendingCount >= options.queuedMax) return Promise.reject(refuse('queue_full'));
    const arrived = Date.now() - reply.elapsedTime;
    // The caller's stamp counts its own queue too; a caller's clock ahead of ours does not shorten it.
    const since = Math.min(arrived, requestStartOf(request.headers['x-request-start']) ?? arrived);
    return limit(async () => {
      if (request.raw.socket.destroyed) throw refuse('caller_gone');
      if (Date.now() - since > options.queueTimeMaxMs) throw refuse('waited_too_long');
      return work();
    });
  }

  app.addHook('onRoute', (route) => {
    if (route.config?.ungated) return;
    const handler = route.handler;
    route.handler = function gated(request, reply) {
      return run(request, reply, async () => handler.call(this, request, reply));
    };
  });
}
