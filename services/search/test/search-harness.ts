import { fileURLToPath } from 'node:url';
import type { Conversation, Message, SearchPage } from '@palaver/contracts';
import { Broker } from '@palaver/events';
import { createLogger } from '@palaver/logger';
import { createAccessTokenVerifier } from '@palaver/service-kit';
import {
  createTestTokenIssuer,
  type IsolatedEnvironment,
  isolatedEnvironment,
  openRevocationList,
  type ServiceProcess,
  startServiceProcess,
  type TestRevocationList,
  type TestUser,
} from '@palaver/testing';
import mongoose from 'mongoose';
import postgres, { type Sql } from 'postgres';
import { buildSearchApp, type SearchApp } from '../src/app.ts';
import { loadSearchConfig } from '../src/config.ts';
import { connectSearchDatabase } from '../src/store/search-database.ts';

// Tokens are minted with a test key; both services verify them exactly as in production.
const issuer = createTestTokenIssuer();

export type { TestUser } from '@palaver/testing';
export const makeUser = (): Promise<TestUser> => issuer.mint();

const messageEntry = fileURLToPath(new URL('../../message/src/server.ts', import.meta.url));

/** A database of the test file's own on the test PostgreSQL, UTF-8 with C.UTF-8 character classes. */
export async function createTestDatabase(
  env: IsolatedEnvironment,
): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!env.postgresUrl) throw new Error('no PostgreSQL for the search tests: set PALAVER_TEST_POSTGRES_URL');
  const url = new URL(env.postgresDatabaseUrl);
  const name = url.pathname.slice(1);
  const admin = postgres(`${env.postgresUrl.replace(/\/+$/, '')}/postgres`, {
    max: 1,
    onnotice: () => undefined,
  });
  await admin.unsafe(
    `CREATE DATABASE "${name}" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'`,
  );
  return {
    url: url.toString(),
    drop: async () => {
      await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
      await admin.end();
    },
  };
}

export interface SearchHarness extends SearchApp {
  env: IsolatedEnvironment;
  sql: Sql;
  broker: Broker;
  message: ServiceProcess;
  revocations: TestRevocationList;
  close: () => Promise<void>;
  search: (
    user: TestUser | undefined,
    query: Record<string, string | number | undefined>,
  ) => Promise<{ statusCode: number; body: string; json: () => SearchPage & { error?: { code: string } } }>;
  /** The message service's own API (a real process, publishing real events). */
  createGroup: (owner: TestUser, members: TestUser[]) => Promise<Conversation>;
  send: (user: TestUser, conversationId: string, body: string) => Promise<Message>;
  edit: (user: TestUser, message: Message, body: string) => Promise<Message>;
  remove: (user: TestUser, message: Message) => Promise<void>;
  removeMember: (by: TestUser, conversationId: string, userId: string) => Promise<void>;
  /** Resolves once `check` passes, polling every 20 ms; rejects after `timeoutMs`. */
  eventually: <T>(check: () => Promise<T>, timeoutMs?: number) => Promise<T>;
}

let counter = 0;
const clientId = () => `s${Date.now().toString(36)}${(counter++).toString(36)}`;

export async function startSearch(label: string): Promise<SearchHarness> {
  const env = isolatedEnvironment(label);
  const database = await createTestDatabase(env);
  const jwksServer = await issuer.serve();
  const revocations = await openRevocationList(env);
  const message = await startServiceProcess(messageEntry, {
    MONGO_URL: env.mongoDatabaseUrl,
    AMQP_URL: env.amqpUrl,
    BROKER_EXCHANGE: env.exchange,
    QUEUE_PREFIX: `${env.queuePrefix}.message`,
    REDIS_URL: env.redisUrl,
    REDIS_PREFIX: env.redisPrefix,
    JWKS_URL: jwksServer.url,
    SEND_RATE: '100000',
    SEND_BURST: '100000',
    RELAY_INTERVAL: '1s',
  });
  const config = loadSearchConfig({
    POSTGRES_URL: database.url,
    AMQP_URL: env.amqpUrl,
    BROKER_EXCHANGE: env.exchange,
    QUEUE_PREFIX: `${env.queuePrefix}.search`,
    REDIS_URL: env.redisUrl,
    REDIS_PREFIX: env.redisPrefix,
    JWKS_URL: jwksServer.url,
    MESSAGE_URL: message.url,
    LOG_LEVEL: 'silent',
  });
  const logger = createLogger('search-test', 'silent');
  const sql = connectSearchDatabase(config.POSTGRES_URL, { max: 5 });
  const broker = new Broker({
    url: config.AMQP_URL,
    exchange: config.BROKER_EXCHANGE,
    logger,
    connectionName: label,
  });
  await broker.start();
  const verifyAccessToken = createAccessTokenVerifier({
    jwks: issuer.jwks,
    issuer: 'palaver-auth',
    audience: 'palaver',
    revocations: revocations.list,
  });
  const service = await buildSearchApp(config, {
    sql,
    redis: revocations.redis,
    broker,
    verifyAccessToken,
    logger,
  });

  async function call<T>(user: TestUser, method: string, path: string, body?: object): Promise<T> {
    const response = await fetch(`${message.url}${path}`, {
      method,
      headers: { ...user.headers, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return (response.status === 204 ? undefined : await response.json()) as T;
  }

  return {
    ...service,
    env,
    sql,
    broker,
    message,
    revocations,
    close: async () => {
      await service.app.close();
      await broker.close();
      await sql.end();
      await message.stop();
      await jwksServer.close();
      await revocations.close();
      await database.drop();
      const mongo = await mongoose.createConnection(env.mongoDatabaseUrl).asPromise();
      await mongo.dropDatabase().catch(() => undefined);
      await mongo.close();
    },
    search: (user, query) =>
      service.app.inject({
        method: 'GET',
        url: '/search',
        query: Object.fromEntries(
          Object.entries(query).flatMap(([key, value]) =>
            value === undefined ? [] : [[key, String(value)]],
          ),
        ),
        ...(user ? { headers: user.headers } : {}),
      }),
    createGroup: (owner, members) =>
      call(owner, 'POST', '/conversations', {
        type: 'group',
        title: 'Group',
        memberIds: members.map((m) => m.id),
      }),
    send: (user, conversationId, body) =>
      call(user, 'POST', `/conversations/${conversationId}/messages`, { clientMessageId: clientId(), body }),
    edit: (user, sent, body) =>
      call(user, 'PATCH', `/conversations/${sent.conversationId}/messages/${sent.seq}`, { body }),
    remove: (user, sent) =>
      call(user, 'DELETE', `/conversations/${sent.conversationId}/messages/${sent.seq}`),
    removeMember: (by, conversationId, userId) =>
      call(by, 'DELETE', `/conversations/${conversationId}/members/${userId}`),
    eventually: async (check, timeoutMs = 5000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        try {
          return await check();
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    },
  };
}
