import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import type { Infrastructure } from './infrastructure.ts';

// No vitest here: benchmarks take names of their own the same way.

/** Names no other test file (or benchmark) uses, so they run in parallel without seeing each other. */
export interface IsolatedEnvironment extends Infrastructure {
  /** `mongoUrl` with a database of this file's own. */
  mongoDatabaseUrl: string;
  database: string;
  /** `postgresUrl` with a database of this file's own (created by whoever uses it). */
  postgresDatabaseUrl: string;
  redisPrefix: string;
  exchange: string;
  queuePrefix: string;
}

/** `infra` with a database, Redis prefix, exchange and queue prefix of its own, all named `<scope>…<label>…`. */
export function isolatedNames(infra: Infrastructure, label: string, scope = 'test'): IsolatedEnvironment {
  const id = `${label.replace(/[^a-z0-9]/gi, '').slice(0, 20)}_${randomBytes(4).toString('hex')}`;
  const url = new URL(infra.mongoUrl);
  url.pathname = `/${scope}_${id}`;
  return {
    ...infra,
    mongoDatabaseUrl: url.toString(),
    database: `${scope}_${id}`,
    postgresDatabaseUrl: infra.postgresUrl
      ? `${infra.postgresUrl.replace(/\/+$/, '')}/${scope}_${id.toLowerCase()}`
      : '',
    redisPrefix: `${scope}:${id}:`,
    exchange: `${scope}.${id}.events`,
    queuePrefix: `${scope}.${id}`,
  };
}

export interface BackendVariables {
  MONGO_URL: string;
  AMQP_URL: string;
  BROKER_EXCHANGE: string;
  QUEUE_PREFIX: string;
  REDIS_URL: string;
  REDIS_PREFIX: string;
}

/**
 * The variables by which a service finds the backends of `env` (a service ignores those it
 * does not read). With `queues`, its queues are named `<queuePrefix>.<queues>`, so that
 * several services consuming on one exchange keep queues of their own.
 */
export function backendVariables(env: IsolatedEnvironment, queues?: string): BackendVariables {
  return {
    MONGO_URL: env.mongoDatabaseUrl,
    AMQP_URL: env.amqpUrl,
    BROKER_EXCHANGE: env.exchange,
    QUEUE_PREFIX: queues ? `${env.queuePrefix}.${queues}` : env.queuePrefix,
    REDIS_URL: env.redisUrl,
    REDIS_PREFIX: env.redisPrefix,
  };
}

/** Drops the MongoDB database `url` names: what service processes stored for a test or benchmark. */
export async function dropMongoDatabase(url: string): Promise<void> {
  const connection = await mongoose.createConnection(url).asPromise();
  await connection.dropDatabase().catch(() => undefined);
  await connection.close();
}
