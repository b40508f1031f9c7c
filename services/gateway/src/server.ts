import { Broker } from '@palaver/events';
import { createLogger } from '@palaver/logger';
import { createAccessTokenVerifier, exitOnStartupFailure, runUntilSignalled } from '@palaver/service-kit';
import { Redis } from 'ioredis';
import { buildGatewayApp } from './app.ts';
import { createMessageApi } from './clients/message-api.ts';
import { loadGatewayConfig } from './config.ts';

async function main() {
  const config = loadGatewayConfig();
  const logger = createLogger('gateway', config.LOG_LEVEL);

  const redis = new Redis(config.REDIS_URL, { keyPrefix: config.REDIS_KEY_PREFIX, lazyConnect: true });
  const adapterPub = new Redis(config.REDIS_URL, { lazyConnect: true });
  const adapterSub = adapterPub.duplicate();
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

  const { app, health, drain } = await buildGatewayApp(config, {
    redis,
    adapterPub,
    adapterSub,
    broker,
    verifyAccessToken: createAccessTokenVerifier({
      jwks: new URL(config.JWKS_URL),
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
    }),
    messageApi: createMessageApi(config.MESSAGE_URL),
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
      await broker.close();
      await Promise.allSettled([redis.quit(), adapterPub.quit(), adapterSub.quit()]);
    },
  });
}

main().catch(exitOnStartupFailure('gateway'));
