import type { Broker } from '@palaver/events';
import type { Logger } from '@palaver/logger';
import {
  type AccessTokenVerifier,
  backendReadiness,
  createServiceAppFrom,
  type ServiceKit,
} from '@palaver/service-kit';
import type { Redis } from 'ioredis';
import type { Sql } from 'postgres';
import { Counter } from 'prom-client';
import { createMembershipLookup, type MembershipLookup } from './clients/membership-client.ts';
import type { SearchConfig } from './config.ts';
import { createMessageSearch } from './domain/message-search.ts';
import { searchErrors } from './errors.ts';
import { consumeMessageEvents } from './events/message-indexer.ts';
import { searchRoutes } from './routes/search-routes.ts';
import { createSearchIndex, type SearchIndex } from './store/search-index.ts';

export type SearchAppConfig = Pick<
  SearchConfig,
  'LOG_LEVEL' | 'TRUST_PROXY' | 'QUEUE_PREFIX' | 'MESSAGE_URL'
>;

export interface SearchDependencies {
  /** The index database (postgres.js). */
  sql: Sql;
  /** Where ended sessions are listed (read by `verifyAccessToken`); no keyPrefix. */
  redis: Redis;
  broker: Broker;
  verifyAccessToken: AccessTokenVerifier;
  /** Defaults to asking MESSAGE_URL. */
  membershipsOf?: MembershipLookup;
  logger?: Logger;
}

export interface SearchApp extends ServiceKit {
  index: SearchIndex;
}

/** Builds the search service from config and connected dependencies; does not listen. */
export async function buildSearchApp(config: SearchAppConfig, deps: SearchDependencies): Promise<SearchApp> {
  const index = createSearchIndex(deps.sql);
  const kit = await createServiceAppFrom(config, deps, {
    service: 'search',
    api: 'search',
    description:
      'Full-text search over the messages a user can read. Behind the edge every path is prefixed with /api.',
    errors: searchErrors,
    readiness: { postgres: () => index.check(), ...backendReadiness(deps) },
  });
  const { app } = kit;
  const indexed = new Counter({
    name: 'search_indexed_events_total',
    help: 'Message events applied to the search index',
    labelNames: ['type'] as const,
    registers: [kit.metrics],
  });

  const search = createMessageSearch({
    index,
    membershipsOf: deps.membershipsOf ?? createMembershipLookup(config.MESSAGE_URL),
  });
  searchRoutes(app, { search, authenticate: kit.authenticate });

  await index.migrate();
  await consumeMessageEvents({ broker: deps.broker, index, queuePrefix: config.QUEUE_PREFIX, indexed });
  return { ...kit, index };
}
