import { Broker } from '@palaver/events';
import { createLogger } from '@palaver/logger';
import { createAccessTokenVerifier, exitOnStartupFailure, runUntilSignalled } from '@palaver/service-kit';
import mongoose from 'mongoose';
import { buildMessageApp } from './app.ts';
import { loadMessageConfig } from './config.ts';

async function main() {
  const config = loadMessageConfig();
  const logger = createLogger('message', config.LOG_LEVEL);

  const mongo = mongoose.createConnection(config.MONGO_URL, { serverSelectionTimeoutMS: 5000 });
  const broker = new Broker({
    url: config.AMQP_URL,
    exchange: config.BROKER_EXCHANGE,
    logger,
    connectionName: 'message',
  });
  await Promise.all([mongo.asPromise(), broker.start()]);
  const verifyAccessToken = createAccessTokenVerifier({
    jwks: new URL(config.JWKS_URL),
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
  });

  const { app, health } = await buildMessageApp(config, { mongo, broker, verifyAccessToken, logger });
  await runUntilSignalled({
    logger,
    health,
    start: async () => {
      await app.listen({ host: config.HOST, port: config.PORT });
    },
    stop: async () => {
      await app.close();
      await Promise.allSettled([broker.close(), mongo.close()]);
    },
  });
}

main().catch(exitOnStartupFailure('message'));
