import { fileURLToPath } from 'node:url';
import {
  backendVariables,
  isolatedEnvironment,
  markRevocationListComplete,
  spawnServiceProcess,
  startServiceProcess,
} from '@palaver/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from './search-stack.ts';

const serverEntry = fileURLToPath(new URL('../src/server.ts', import.meta.url));

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let baseEnv: Record<string, string>;
beforeAll(async () => {
  const env = isolatedEnvironment('search-process');
  database = await createTestDatabase(env);
  await markRevocationListComplete(env);
  baseEnv = {
    ...backendVariables(env),
    POSTGRES_URL: database.url,
    JWKS_URL: 'http://127.0.0.1:1/jwks.json',
    MESSAGE_URL: 'http://127.0.0.1:1',
  };
});
afterAll(async () => {
  await database?.drop();
});

describe('search server process', () => {
  it('refuses to start without POSTGRES_URL, in one line naming it', async () => {
    const { POSTGRES_URL: _, ...env } = baseEnv;
    const run = spawnServiceProcess(serverEntry, env);
    expect(await run.exited).toBe(1);
    expect(run.output().stderr.trim()).toMatch(/^search: invalid configuration: POSTGRES_URL is missing$/);
  });

  it('starts ready, logs JSON, and exits 0 on SIGTERM', async () => {
    const service = await startServiceProcess(serverEntry, { ...baseEnv, LOG_LEVEL: 'info' });
    const ready = await (await fetch(`${service.url}/readyz`)).json();
    expect(ready).toMatchObject({ status: 'ready', checks: { postgres: 'ok', redis: 'ok', broker: 'ok' } });
    expect(await service.stop('SIGTERM')).toBe(0);
    const lines = service.output().trim().split('\n');
    expect(lines.every((line) => JSON.parse(line).service === 'search')).toBe(true);
  });
});
