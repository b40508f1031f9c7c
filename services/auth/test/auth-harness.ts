import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuthResult } from '@palaver/contracts';
import { Broker } from '@palaver/events';
import { createLogger } from '@palaver/logger';
import {
  backendVariables,
  buildOnTestBackends,
  type IsolatedEnvironment,
  isolatedEnvironment,
} from '@palaver/testing';
import type mongoose from 'mongoose';
import { type AuthApp, buildAuthApp } from '../src/app.ts';
import { loadAuthConfig } from '../src/config.ts';
import { loadKeyRing } from '../src/domain/signing-keys.ts';
import { writeSigningKey } from './signing-keys.ts';

export { writeSigningKey } from './signing-keys.ts';

export interface AuthHarness extends AuthApp {
  env: IsolatedEnvironment;
  keysDir: string;
  broker: Broker;
  mongo: mongoose.Connection;
  close: () => Promise<void>;
}

export interface HarnessOptions {
  /** Environment variables layered over the defaults. */
  env?: Record<string, string>;
  /** Share another harness's database, Redis prefix and exchange (a second replica). */
  sameAs?: AuthHarness;
  /** Use this broker URL instead (an unreachable one simulates a broker outage). */
  amqpUrl?: string;
  /** Use this Redis URL instead (an unreachable one simulates a Redis outage). */
  redisUrl?: string;
  keysDir?: string;
}

/** Builds the real auth app against the real servers, isolated to this test file. */
export async function startAuth(label: string, options: HarnessOptions = {}): Promise<AuthHarness> {
  const env = options.sameAs?.env ?? isolatedEnvironment(label);
  const keysDir =
    options.keysDir ?? options.sameAs?.keysDir ?? (await mkdtemp(join(tmpdir(), 'palaver-keys-')));
  if (!options.keysDir && !options.sameAs) await writeSigningKey(keysDir, 'test-key-1');

  const config = loadAuthConfig({
    ...backendVariables(env),
    ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
    ...(options.amqpUrl ? { AMQP_URL: options.amqpUrl } : {}),
    JWT_KEYS_DIR: keysDir,
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  const keyRing = await loadKeyRing(keysDir, config.JWT_ACTIVE_KID);
  // No issuer: auth signs the tokens and keeps the revocation list itself.
  const auth = await buildOnTestBackends(
    config,
    {
      connectionName: label,
      Broker,
      logger: createLogger('auth-test', 'silent'),
      mongo: true,
      redisRetries: 2,
    },
    (backends) => buildAuthApp(config, { ...backends, keyRing }),
  );

  return {
    ...auth,
    env,
    keysDir,
    close: async () => {
      await auth.close({ keep: Boolean(options.sameAs) });
      if (!options.keysDir && !options.sameAs) await rm(keysDir, { recursive: true, force: true });
    },
  };
}

let counter = 0;
/** A username no other test in the file has used. */
export const uniqueName = (prefix = 'user') =>
  `${prefix}${Date.now().toString(36)}${(counter++).toString(36)}`;

export async function register(
  harness: AuthHarness,
  fields: Partial<{ username: string; password: string; displayName: string }> = {},
): Promise<AuthResult & { password: string }> {
  const body = {
    username: uniqueName(),
    password: 'correct horse battery',
    displayName: 'Test Person',
    ...fields,
  };
  const response = await harness.app.inject({ method: 'POST', url: '/auth/register', payload: body });
  if (response.statusCode !== 201)
    throw new Error(`register failed: ${response.statusCode} ${response.body}`);
  return { ...(response.json() as AuthResult), password: body.password };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
