import { Broker } from '@palaver/events';
import { createLogger } from '@palaver/logger';
import { createServiceTokenVerifier, exitOnStartupFailure, runUntilSignalled } from '@palaver/service-kit';
import { Redis } from 'ioredis';
import { buildGatewayApp } from './app.ts';
import { createMessageApi } from './clients/message-api.ts';
import { loadGatewayConfig } from './config.ts';

async function main() {
  const config = loadGatewayConfig();
  const logger = createLogger('gateway', config.LOG_LEVEL);

  // Auto-pipelining: the commands of every handshake in the same tick (token check, socket
  // count, registration, statuses) go out in one write and one read, not one each.
  // The gateway's own keys (presence, rate buckets) under REDIS_PREFIX + gateway:.
  const redis = new Redis(config.REDIS_URL, {
    keyPrefix: `${config.REDIS_PREFIX}gateway:`,
    lazyConnect: true,
    enableAutoPipelining: true,
  });
  const adapterPub = new Redis(config.REDIS_URL, { lazyConnect: true, enableAutoPipelining: true });
  // The adapter neither awaits nor catches its (un)subscribes: one rejected after the
  // default 20 reconnect attempts (a Redis outage of ~10 s) would crash the process. They
  // wait for Redis instead, as the resubscription on reconnect does. A subscriber
  // connection is not pipelined.
  const adapterSub = adapterPub.duplicate({ maxRetriesPerRequest: null, enableAutoPipelining: false });
  for (const client of [redis, adapterPub, adapterSub]) {
    client.on('error', (err) => logger.warn({ err }, 'redis error'));
  }
  // Connected before the adapter subscribes: a subscriber that is still running its ready
  // check when it subscribes fails it ("only subscriber commands may be used").
  await Promise.all([redis.connect(), adapterPub.connect(), adapterSub.connect()]);
  const broker = new Broker({
    url: config.AMQP_URL,
    exchange: config.BROKER_EXCHANGE,
    logger,
    connectionName: `gateway ${config.REPLICA_ID}`,
  });
  await broker.start();
  const messageApi = createMessageApi(config.MESSAGE_URL, { connections: config.MESSAGE_CONNECTIONS });

  const { app, health, drain } = await buildGatewayApp(config, {
    redis,
    adapterPub,
    adapterSub,
    broker,
    // adapterPub has no keyPrefix: the revocation list is auth's, under REDIS_PREFIX.
    verifyAccessToken: createServiceTokenVerifier(config, adapterPub),
    messageApi,
    logger,
  });
  await runUntilSignalled({
    logger,
    health,
    shutdownTimeoutMs: (config.DRAIN_TIMEOUT + 5) * 1000,
    start: async () => {
      await app.listen({ host: config.HOST, port: config.PORT });
      logger.info({ replica: config.REPLICA_ID, fanout: config.FANOUT }, 'gateway replica ready');
    },
    stop: async () => {
      await drain(config.DRAIN_TIMEOUT * 1000);
      await app.close();
      await Promise.all([broker.close(), messageApi.close()]);
      await Promise.allSettled([redis.quit(), adapterPub.quit(), adapterSub.quit()]);
    },
  });
}

main().catch(exitOnStartupFailure('gateway'));
