import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuthResult } from '@palaver/contracts';
import { Broker } from '@palaver/events';
import { createLogger } from '@palaver/logger';
import { type IsolatedEnvironment, isolatedEnvironment } from '@palaver/testing';
import { Redis } from 'ioredis';
import mongoose from 'mongoose';
import { type AuthApp, buildAuthApp } from '../src/app.ts';
import { loadAuthConfig } from '../src/config.ts';
import { loadKeyRing } from '../src/domain/signing-keys.ts';

export interface AuthHarness extends AuthApp {
  env: IsolatedEnvironment;
  keysDir: string;
  broker: Broker;
  mongo: mongoose.Connection;
  close: () => Promise<void>;
}

/** Writes a fresh key pair as `<kid>.pem` (private) in `dir`; returns its PEM. */
export async function writeSigningKey(dir: string, kid: string, type: 'ed25519' | 'ec' = 'ed25519') {
  const { privateKey } =
    type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await writeFile(join(dir, `${kid}.pem`), pem);
  return pem;
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
    MONGO_URL: env.mongoDatabaseUrl,
    REDIS_URL: options.redisUrl ?? env.redisUrl,
    REDIS_PREFIX: env.redisPrefix,
    AMQP_URL: options.amqpUrl ?? env.amqpUrl,
    BROKER_EXCHANGE: env.exchange,
    JWT_KEYS_DIR: keysDir,
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  const logger = createLogger('auth-test', 'silent');
  const mongo = await mongoose
    .createConnection(config.MONGO_URL, { serverSelectionTimeoutMS: 5000 })
    .asPromise();
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 2 });
  redis.on('error', () => undefined); // an outage is what some tests simulate
  const broker = new Broker({
    url: config.AMQP_URL,
    exchange: config.BROKER_EXCHANGE,
    logger,
    connectionName: label,
  });
  await broker.start();
  const keyRing = await loadKeyRing(keysDir, config.JWT_ACTIVE_KID);
  const auth = await buildAuthApp(config, { mongo, redis, broker, keyRing, logger });

  return {
    ...auth,
    env,
    keysDir,
    broker,
    mongo,
    close: async () => {
      await auth.app.close();
      await broker.close();
      if (!options.sameAs) {
        await mongo.dropDatabase().catch(() => undefined);
        const keys = await redis.keys(`${env.redisPrefix}*`);
        if (keys.length > 0) await redis.del(...keys);
        if (!options.keysDir) await rm(keysDir, { recursive: true, force: true });
      }
      await redis.quit();
      await mongo.close();
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
