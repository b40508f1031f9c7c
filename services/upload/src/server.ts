import { Broker } from '@palaver/events';
import { createLogger } from '@palaver/logger';
import { createServiceTokenVerifier, exitOnStartupFailure, runUntilSignalled } from '@palaver/service-kit';
import { Redis } from 'ioredis';
import mongoose from 'mongoose';
import { buildUploadApp } from './app.ts';
import { loadUploadConfig } from './config.ts';
import { createFileBlobStore } from './store/file-blob-store.ts';

async function main() {
  const config = loadUploadConfig();
  const logger = createLogger('upload', config.LOG_LEVEL);

  const blobs = await createFileBlobStore(config.UPLOAD_ROOT);
  const mongo = mongoose.createConnection(config.MONGO_URL, { serverSelectionTimeoutMS: 5000 });
  const broker = new Broker({
    url: config.AMQP_URL,
    exchange: config.BROKER_EXCHANGE,
    logger,
    connectionName: 'upload',
  });
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1 });
  redis.on('error', (err) => logger.warn({ err }, 'redis error'));
  await Promise.all([mongo.asPromise(), broker.start()]);
  const verifyAccessToken = createServiceTokenVerifier(config, redis);

  const { app, health } = await buildUploadApp(config, {
    mongo,
    redis,
    broker,
    blobs,
    verifyAccessToken,
    logger,
  });
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

main().catch(exitOnStartupFailure('upload'));
