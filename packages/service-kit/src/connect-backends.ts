import type { Logger } from '@palaver/logger';
import { Redis } from 'ioredis';

/** What connecting reads: packages/config's broker and Redis fragments, and MONGO_URL where used. */
export interface BackendsConfig {
  AMQP_URL: string;
  BROKER_EXCHANGE: string;
  REDIS_URL: string;
  MONGO_URL?: string;
}

/**
 * @palaver/events' Broker, as far as connecting goes. The server passes the class in
 * rather than the kit importing it: that package depends on this one.
 */
export interface BrokerConnection {
  start: () => Promise<void>;
  close: () => Promise<void>;
}

export type BrokerClass<B extends BrokerConnection> = new (options: {
  url: string;
  exchange: string;
  logger: Logger;
  connectionName: string;
}) => B;

/** A mongoose connection, typed structurally as in health.ts: the kit does not depend on mongoose. */
export interface MongoConnection {
  asPromise: () => Promise<unknown>;
  close: () => Promise<unknown>;
}

/** The `mongoose` module, passed in by the servers that use MongoDB. */
export interface MongooseModule<M extends MongoConnection> {
  createConnection: (
    url: string,
    options: { serverSelectionTimeoutMS: number; waitQueueTimeoutMS: number },
  ) => M;
}

export interface BackendsOptions<B extends BrokerConnection, M extends MongoConnection> {
  /** Shown in the broker's connection list. */
  connectionName: string;
  Broker: BrokerClass<B>;
  /** Given, a connection to MONGO_URL is opened too. */
  mongoose?: MongooseModule<M> | undefined;
  /** Retries of a Redis command while the connection is lost, before it fails (default 1). */
  redisRetries?: number | undefined;
}

/** The longest an operation waits for a store connection; callers give up at 10 s. */
const storeWaitMs = 3000;

/** The shared backends of a server; `mongo` only where it passed `mongoose`. */
export type Backends<B extends BrokerConnection, M extends MongoConnection> = {
  broker: B;
  /** Without a keyPrefix: ended sessions are read under REDIS_PREFIX, as auth writes them. */
  redis: Redis;
} & ([M] extends [never] ? Record<never, never> : { mongo: M });

/**
 * Opens the broker, Redis and MongoDB with the settings every service uses, and resolves
 * once MongoDB answers and the broker's first attempt is over (it keeps retrying by itself).
 * `close` ends them all, none waiting on another.
 */
export async function connectBackends<B extends BrokerConnection, M extends MongoConnection = never>(
  config: BackendsConfig,
  logger: Logger,
  options: BackendsOptions<B, M>,
): Promise<{ backends: Backends<B, M>; close: () => Promise<unknown> }> {
  const { mongoose } = options;
  if (mongoose && config.MONGO_URL === undefined)
    throw new Error('mongoose given but MONGO_URL is not in the config');
  // A start without MongoDB fails after 5 s rather than the driver's 30. An operation that
  // waits longer than storeWaitMs for one of the pool's connections fails (503): the
  // driver's wait queue is otherwise unbounded, and a store slower than its callers (a
  // reconnect storm's syncs) grew a message service's heap past 2 GB of queued work whose
  // callers had long given up.
  const mongo = mongoose?.createConnection(config.MONGO_URL as string, {
    serverSelectionTimeoutMS: 5000,
    waitQueueTimeoutMS: storeWaitMs,
  });
  const broker = new options.Broker({
    url: config.AMQP_URL,
    exchange: config.BROKER_EXCHANGE,
    logger,
    connectionName: options.connectionName,
  });
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: options.redisRetries ?? 1 });
  redis.on('error', (err) => logger.warn({ err }, 'redis error'));
  await Promise.all([mongo?.asPromise(), broker.start()]);

  const backends = (mongo ? { broker, redis, mongo } : { broker, redis }) as Backends<B, M>;
  return {
    backends,
    close: () => Promise.allSettled([broker.close(), redis.quit(), mongo?.close()]),
  };
}
