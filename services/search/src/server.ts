import { Broker } from '@palaver/events';
import { createServiceTokenVerifier, runServer } from '@palaver/service-kit';
import { buildSearchApp } from './app.ts';
import { loadSearchConfig } from './config.ts';
import { connectSearchDatabase } from './store/search-database.ts';

runServer({
  service: 'search',
  loadConfig: loadSearchConfig,
  open: (config) => ({
    sql: connectSearchDatabase(config.POSTGRES_URL, {
      max: config.POSTGRES_POOL,
      statementTimeoutMs: config.SEARCH_TIMEOUT_MS,
    }),
  }),
  close: ({ sql }) => sql.end({ timeout: 5 }),
  Broker,
  build: (config, deps) =>
    buildSearchApp(config, { ...deps, verifyAccessToken: createServiceTokenVerifier(config, deps.redis) }),
});
