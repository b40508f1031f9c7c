import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  backendVariables,
  dropMongoDatabase,
  isolatedEnvironment,
  spawnServiceProcess,
  startServiceProcess,
} from '@palaver/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSigningKey } from './auth-harness.ts';

const serverEntry = fileURLToPath(new URL('../src/server.ts', import.meta.url));

const start = (env: Record<string, string>) => spawnServiceProcess(serverEntry, env);

let keysDir: string;
let baseEnv: Record<string, string>;
beforeAll(async () => {
  const env = isolatedEnvironment('process');
  keysDir = await mkdtemp(join(tmpdir(), 'palaver-keys-'));
  await writeSigningKey(keysDir, 'proc-key');
  baseEnv = { ...backendVariables(env), JWT_KEYS_DIR: keysDir };
});
afterAll(async () => {
  await rm(keysDir, { recursive: true, force: true });
  await dropMongoDatabase(baseEnv.MONGO_URL as string);
});

describe('auth server process', () => {
  it('refuses to start on a bad value with one line naming the variable', async () => {
    const run = start({ ...baseEnv, PORT: 'eighty', ACCESS_TOKEN_TTL: 'forever' });
    expect(await run.exited).toBe(1);
    const lines = run.output().stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^auth: invalid configuration: .*PORT="eighty" is invalid/);
    expect(lines[0]).toMatch(/ACCESS_TOKEN_TTL="forever" is invalid/);
  });

  it('names a missing variable', async () => {
    const { MONGO_URL: _omitted, ...rest } = baseEnv;
    const run = start(rest);
    expect(await run.exited).toBe(1);
    expect(run.output().stderr.trim()).toBe('auth: invalid configuration: MONGO_URL is missing');
  });

  it('names a keys folder without a usable key', async () => {
    const run = start({ ...baseEnv, JWT_KEYS_DIR: '/nonexistent/keys' });
    expect(await run.exited).toBe(1);
    expect(run.output().stderr).toMatch(/JWT_KEYS_DIR="\/nonexistent\/keys" is not a readable folder/);
  });

  it('serves, logs JSON with request ids, and shuts down cleanly on SIGTERM', async () => {
    const run = await startServiceProcess(serverEntry, { ...baseEnv, LOG_LEVEL: 'info' });
    try {
      const response = await fetch(`${run.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'trace-me-42' },
        body: JSON.stringify({ username: 'nobody', password: 'whatever1' }),
      });
      expect(response.status).toBe(401);
      expect(await run.stop('SIGTERM')).toBe(0);
      const logs = run.logs();
      expect(logs.some((log) => log.reqId === 'trace-me-42' && log.service === 'auth')).toBe(true);
      // The whole log on failure: a shutdown that ends early shows where it stopped.
      expect(logs.at(-1), JSON.stringify(logs.slice(-6))).toMatchObject({ msg: 'stopped' });
      expect(run.output()).not.toContain('whatever1');
    } finally {
      await run.stop('SIGKILL');
    }
  });
});
