import type { FastifyInstance } from 'fastify';

/** A dependency probe: resolves when the dependency answers, throws otherwise. */
export type ReadinessCheck = () => Promise<unknown>;

export interface HealthState {
  /** Set on shutdown so load balancers stop routing here before connections close. */
  draining: boolean;
}

const checkTimeoutMs = 2000;

async function runCheck(check: ReadinessCheck): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${checkTimeoutMs} ms`)), checkTimeoutMs);
  });
  try {
    await Promise.race([check(), timeout]);
    return 'ok';
  } catch (error) {
    return `failing: ${(error as Error).message}`;
  } finally {
    clearTimeout(timer);
  }
}

/** `/healthz`: the process is alive. `/readyz`: every dependency answers and we are not draining. */
export function installHealth(
  app: FastifyInstance,
  checks: Record<string, ReadinessCheck>,
  state: HealthState,
) {
  app.get('/healthz', { logLevel: 'warn', schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { logLevel: 'warn', schema: { hide: true } }, async (_request, reply) => {
    const names = Object.keys(checks);
    const results = await Promise.all(names.map((name) => runCheck(checks[name] as ReadinessCheck)));
    const report = Object.fromEntries(names.map((name, i) => [name, results[i]]));
    const ready = !state.draining && results.every((result) => result === 'ok');
    return reply
      .status(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : state.draining ? 'draining' : 'unready', checks: report });
  });
}

/** Readiness of a mongoose connection (typed structurally: the kit does not depend on mongoose). */
export const mongoReadiness =
  (connection: { db?: { admin: () => { ping: () => Promise<unknown> } } | undefined }): ReadinessCheck =>
  async () => {
    if (!connection.db) throw new Error('not connected');
    await connection.db.admin().ping();
  };

/**
 * Readiness of the shared backends a service was given, as MongoDB, Redis and the broker
 * (in that order, each only if present); spread with the service's own checks.
 */
export function backendReadiness(backends: {
  mongo?: Parameters<typeof mongoReadiness>[0];
  redis?: { ping: () => Promise<unknown> };
  broker?: { check: () => Promise<unknown> };
}): Record<string, ReadinessCheck> {
  const { mongo, redis, broker } = backends;
  return {
    ...(mongo ? { mongo: mongoReadiness(mongo) } : {}),
    ...(redis ? { redis: () => redis.ping() } : {}),
    ...(broker ? { broker: () => broker.check() } : {}),
  };
}
