import { Broker } from '@palaver/events';
import { createLogger } from '@palaver/logger';
import { createServiceTokenVerifier, exitOnStartupFailure, runUntilSignalled } from '@palaver/service-kit';
import { Redis } from 'ioredis';
import { buildSearchApp } from './app.ts';
import { loadSearchConfig } from './config.ts';
import { connectSearchDatabase } from './store/search-database.ts';

async function main() {
  const config = loadSearchConfig();
  const logger = createLogger('search', config.LOG_LEVEL);

  const sql = connectSearchDatabase(config.POSTGRES_URL, {
    max: config.POSTGRES_POOL,
    statementTimeoutMs: config.SEARCH_TIMEOUT_MS,
  });
  const broker = new Broker({
    url: config.AMQP_URL,
    exchange: config.BROKER_EXCHANGE,
    logger,
    connectionName: 'search',
  });
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1 });
  redis.on('error', (err) => logger.warn({ err }, 'redis error'));
  await broker.start();
  const verifyAccessToken = createServiceTokenVerifier(config, redis);

  const { app, health } = await buildSearchApp(config, { sql, redis, broker, verifyAccessToken, logger });
  await runUntilSignalled({
    logger,
    health,
    start: async () => {
      await app.listen({ host: config.HOST, port: config.PORT });
    },
    stop: async () => {
      await app.close();
      await Promise.allSettled([broker.close(), redis.quit(), sql.end({ timeout: 5 })]);
    },
  });
}

main().catch(exitOnStartupFailure('search'));
