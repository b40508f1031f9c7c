import {
  type AccessTokenVerifier,
  type BrokerClass,
  type BrokerConnection,
  createRevocationList,
} from '@palaver/service-kit';
import { Redis } from 'ioredis';
import mongoose from 'mongoose';
import type { IsolatedEnvironment } from './isolated-names.ts';
import type { TestRevocationList } from './revocation-list.ts';
import type { TestTokenIssuer } from './test-tokens.ts';

/** What a service's config says of its backends (packages/config's fragments). */
export interface TestBackendsConfig {
  AMQP_URL: string;
  BROKER_EXCHANGE: string;
  REDIS_URL: string;
  REDIS_PREFIX: string;
  MONGO_URL?: string;
}

type Logger = ConstructorParameters<BrokerClass<BrokerConnection>>[0]['logger'];

export interface TestBackendsOptions {
  /** Shown in the broker's connection list. */
  connectionName: string;
  /** @palaver/events' Broker, passed in as servers pass it to service-kit (this package does not depend on it). */
  Broker: BrokerClass<BrokerConnection>;
  logger: Logger;
  /** Opens MONGO_URL too. */
  mongo?: boolean;
  /**
   * Stands in for auth: the revocation list is marked complete (as auth does at start) and
   * `verifyAccessToken` accepts this issuer's tokens. Auth's own tests leave it out: auth
   * signs the tokens and keeps the list itself, so the list is left as found.
   */
  issuer?: TestTokenIssuer;
  /** Retries of a Redis command while the connection is lost (default 1, as the servers). */
  redisRetries?: number;
}

/** Dependencies of a service built in the test process, as its server would connect them. */
export interface TestBackends<B extends BrokerConnection> {
  /** Started: its first connection attempt is over (an unreachable URL keeps it retrying). */
  broker: B;
  /** Without key prefix, for a service's `redis` dependency. */
  redis: Redis;
  logger: Logger;
  /** Auth's revocation list under REDIS_PREFIX, on `redis`: revoke sessions with it as auth would. */
  revocations: TestRevocationList;
  /**
   * Closes them all. Unless `keep` (a second replica sharing the first one's names), drops
   * the database and the Redis keys under REDIS_PREFIX first.
   */
  close: (options?: { keep?: boolean }) => Promise<void>;
}

/** What the harness of a service built in the test process shows beside the app. */
export interface InProcessHarness<B extends BrokerConnection> {
  /** The test file's names on the test servers. */
  env: IsolatedEnvironment;
  broker: B;
  /** Ended sessions, as auth lists them. */
  revocations: TestRevocationList;
  close: () => Promise<void>;
}

type Connected<O extends TestBackendsOptions> = TestBackends<InstanceType<O['Broker']>> &
  (O extends { mongo: true } ? { mongo: mongoose.Connection } : unknown) &
  (O extends { issuer: TestTokenIssuer } ? { verifyAccessToken: AccessTokenVerifier } : unknown);

/** Connects the broker, Redis and (asked for) MongoDB of `config` for a service built in the test process. */
export async function connectTestBackends<O extends TestBackendsOptions>(
  config: TestBackendsConfig,
  options: O,
): Promise<Connected<O>> {
  const mongo = options.mongo
    ? await mongoose.createConnection(config.MONGO_URL ?? '', { serverSelectionTimeoutMS: 5000 }).asPromise()
    : undefined;
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: options.redisRetries ?? 1 });
  redis.on('error', () => undefined); // an outage is what some tests simulate
  const list = createRevocationList(redis, config.REDIS_PREFIX);
  if (options.issuer) await list.markComplete();
  const broker = await startTestBroker(options.Broker, config, options.logger, options.connectionName);
  const quitRedis = async () => {
    await redis.quit().catch(() => undefined);
  };
  const backends: TestBackends<BrokerConnection> = {
    broker,
    redis,
    logger: options.logger,
    revocations: { redis, list, close: quitRedis },
    close: async ({ keep = false } = {}) => {
      await broker.close();
      if (!keep) {
        await mongo?.dropDatabase().catch(() => undefined);
        const keys = await redis.keys(`${config.REDIS_PREFIX}*`).catch(() => []);
        if (keys.length > 0) await redis.del(...keys).catch(() => undefined);
      }
      await quitRedis();
      await mongo?.close();
    },
  };
  return {
    ...backends,
    ...(mongo ? { mongo } : {}),
    ...(options.issuer ? { verifyAccessToken: options.issuer.verifier(list) } : {}),
  } as Connected<O>;
}

/** A started broker on `config`'s exchange, for a service built in the test process. */
export async function startTestBroker<B extends BrokerConnection>(
  Broker: BrokerClass<B>,
  config: Pick<TestBackendsConfig, 'AMQP_URL' | 'BROKER_EXCHANGE'>,
  logger: Logger,
  connectionName: string,
): Promise<B> {
  const broker = new Broker({
    url: config.AMQP_URL,
    exchange: config.BROKER_EXCHANGE,
    logger,
    connectionName,
  });
  await broker.start();
  return broker;
}

/**
 * A service built in the test process on backends connected for it: the app's parts and
 * the connections in one object, whose `close` closes the app, then the connections.
 */
export async function buildOnTestBackends<
  O extends TestBackendsOptions,
  S extends { app: { close: () => PromiseLike<unknown> } },
>(config: TestBackendsConfig, options: O, build: (backends: Connected<O>) => Promise<S>) {
  const backends = await connectTestBackends(config, options);
  const service = await build(backends);
  return {
    ...service,
    ...backends,
    close: async (closing?: { keep?: boolean }) => {
      await service.app.close();
      await backends.close(closing);
    },
  };
}
