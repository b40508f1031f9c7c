/**
 * What the search tests and benchmark set up alike: a PostgreSQL database of their own, the
 * real message service beside search (it answers /memberships), and search's variables.
 */
import { fileURLToPath } from 'node:url';
import { backendVariables, type IsolatedEnvironment } from '@palaver/testing/isolated-names';
import { startServiceProcess } from '@palaver/testing/process-tools';
import postgres from 'postgres';

// No vitest here, so the benchmark can import it.

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

/** The message service as its own process on `env`'s names, its queues under `.message`. */
export const startMessageService = (
  env: IsolatedEnvironment,
  jwksUrl: string,
  extra: Record<string, string> = {},
) => startServiceProcess(messageEntry, { ...backendVariables(env, 'message'), JWKS_URL: jwksUrl, ...extra });

/** The search service's variables on `env`'s names, its queues under `.search`. */
export const searchVariables = (
  env: IsolatedEnvironment,
  servers: { postgresUrl: string; jwksUrl: string; messageUrl: string },
) => ({
  ...backendVariables(env, 'search'),
  POSTGRES_URL: servers.postgresUrl,
  JWKS_URL: servers.jwksUrl,
  MESSAGE_URL: servers.messageUrl,
});
