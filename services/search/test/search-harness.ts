import type { Conversation, Message, SearchPage } from '@palaver/contracts';
import { Broker } from '@palaver/events';
import { createLogger } from '@palaver/logger';
import {
  backendVariables,
  connectTestBackends,
  createTestUsers,
  dropMongoDatabase,
  type InProcessHarness,
  isolatedEnvironment,
  type ServiceProcess,
  type TestUser,
} from '@palaver/testing';
import type { Sql } from 'postgres';
import { buildSearchApp, type SearchApp } from '../src/app.ts';
import { loadSearchConfig } from '../src/config.ts';
import { connectSearchDatabase } from '../src/store/search-database.ts';
import { createTestDatabase, searchVariables, startMessageService } from './search-stack.ts';

export { createTestDatabase } from './search-stack.ts';

// Tokens are minted with a test key; both services verify them exactly as in production.
export const { issuer, makeUser, makeUsers } = createTestUsers();

export type { TestUser } from '@palaver/testing';

export interface SearchHarness extends SearchApp, InProcessHarness<Broker> {
  sql: Sql;
  message: ServiceProcess;
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
  // First: it marks auth's revocation list complete, which the message service needs to accept tokens.
  const backends = await connectTestBackends(backendVariables(env), {
    connectionName: label,
    Broker,
    logger: createLogger('search-test', 'silent'),
    issuer,
  });
  const message = await startMessageService(env, jwksServer.url, {
    SEND_RATE: '100000',
    SEND_BURST: '100000',
    RELAY_INTERVAL: '1s',
  });
  const config = loadSearchConfig({
    ...searchVariables(env, { postgresUrl: database.url, jwksUrl: jwksServer.url, messageUrl: message.url }),
    LOG_LEVEL: 'silent',
  });
  const sql = connectSearchDatabase(config.POSTGRES_URL, { max: 5 });
  const service = await buildSearchApp(config, { ...backends, sql });

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
    ...backends,
    env,
    sql,
    message,
    close: async () => {
      await service.app.close();
      await message.stop();
      await backends.close();
      await sql.end();
      await jwksServer.close();
      await database.drop();
      await dropMongoDatabase(env.mongoDatabaseUrl); // the message service's
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
