import { Broker } from '@palaver/events';
import { createLogger } from '@palaver/logger';
import { exitOnStartupFailure, runUntilSignalled } from '@palaver/service-kit';
import { Redis } from 'ioredis';
import mongoose from 'mongoose';
import { buildAuthApp } from './app.ts';
import { loadAuthConfig } from './config.ts';
import { loadKeyRing } from './domain/signing-keys.ts';

async function main() {
  const config = loadAuthConfig();
  const keyRing = await loadKeyRing(config.JWT_KEYS_DIR, config.JWT_ACTIVE_KID);
  const logger = createLogger('auth', config.LOG_LEVEL);

  const mongo = mongoose.createConnection(config.MONGO_URL, { serverSelectionTimeoutMS: 5000 });
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 2 });
  redis.on('error', (err) => logger.warn({ err }, 'redis error'));
  const broker = new Broker({
    url: config.AMQP_URL,
    exchange: config.BROKER_EXCHANGE,
    logger,
    connectionName: 'auth',
  });
  await Promise.all([mongo.asPromise(), broker.start()]);

  const { app, health } = await buildAuthApp(config, { mongo, redis, broker, keyRing, logger });
  await runUntilSignalled({
    logger,
    health,
    start: async () => {
      await app.listen({ host: config.HOST, port: config.PORT });
    },
    stop: async () => {
      await app.close();
      await Promise.allSettled([broker.close(), redis.quit(), mongo.close()]);
    },
  });
}

main().catch(exitOnStartupFailure('auth'));
