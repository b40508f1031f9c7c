import type { Conversation, Message } from '@palaver/contracts';
import { Broker } from '@palaver/events';
import { createLogger } from '@palaver/logger';
import { createAccessTokenVerifier } from '@palaver/service-kit';
import {
  createTestTokenIssuer,
  type IsolatedEnvironment,
  isolatedEnvironment,
  openRevocationList,
  type TestRevocationList,
  type TestUser,
} from '@palaver/testing';
import mongoose from 'mongoose';
import { buildMessageApp, type MessageApp } from '../src/app.ts';
import { loadMessageConfig } from '../src/config.ts';

// Tokens are minted with a test key; the service verifies them exactly as in
// production (JWKS, issuer, audience, algorithms), only the key set is local.
const issuer = createTestTokenIssuer();
const { jwks } = issuer;

export type { TestUser } from '@palaver/testing';
export const makeUser = (): Promise<TestUser> => issuer.mint();

export interface MessageHarness extends MessageApp {
  env: IsolatedEnvironment;
  mongo: mongoose.Connection;
  broker: Broker;
  /** Ended sessions, as auth lists them. */
  revocations: TestRevocationList;
  close: () => Promise<void>;
  /** Typed helpers over inject(). */
  createDirect: (a: TestUser, b: TestUser) => Promise<Conversation>;
  createGroup: (owner: TestUser, members: TestUser[], title?: string) => Promise<Conversation>;
  send: (
    user: TestUser,
    conversationId: string,
    body: Record<string, unknown>,
  ) => Promise<{ statusCode: number; json: () => Message & { error?: { code: string } } }>;
}

export async function startMessage(
  label: string,
  options: { env?: Record<string, string>; sameAs?: MessageHarness; amqpUrl?: string } = {},
): Promise<MessageHarness> {
  const env = options.sameAs?.env ?? isolatedEnvironment(label);
  const config = loadMessageConfig({
    MONGO_URL: env.mongoDatabaseUrl,
    AMQP_URL: options.amqpUrl ?? env.amqpUrl,
    BROKER_EXCHANGE: env.exchange,
    QUEUE_PREFIX: env.queuePrefix,
    REDIS_URL: env.redisUrl,
    REDIS_PREFIX: env.redisPrefix,
    JWKS_URL: 'http://127.0.0.1:1/unused',
    LOG_LEVEL: 'silent',
    RELAY_INTERVAL: '10m', // tests flush the relay themselves
    // Unmetered unless a test is about the send budget.
    SEND_RATE: '1000000',
    SEND_BURST: '1000000',
    ...options.env,
  });
  const logger = createLogger('message-test', 'silent');
  const mongo = await mongoose
    .createConnection(config.MONGO_URL, { serverSelectionTimeoutMS: 3000 })
    .asPromise();
  const broker = new Broker({
    url: config.AMQP_URL,
    exchange: config.BROKER_EXCHANGE,
    logger,
    connectionName: label,
  });
  await broker.start();
  const revocations = await openRevocationList(env);
  const verifyAccessToken = createAccessTokenVerifier({
    jwks,
    issuer: 'palaver-auth',
    audience: 'palaver',
    revocations: revocations.list,
  });
  const service = await buildMessageApp(config, {
    mongo,
    redis: revocations.redis,
    broker,
    verifyAccessToken,
    logger,
  });
  const { app } = service;

  return {
    ...service,
    env,
    mongo,
    broker,
    revocations,
    close: async () => {
      await app.close();
      await broker.close();
      await revocations.close();
      if (!options.sameAs) await mongo.dropDatabase().catch(() => undefined);
      await mongo.close();
    },
    createDirect: async (a, b) => {
      const response = await app.inject({
        method: 'POST',
        url: '/conversations',
        headers: a.headers,
        payload: { type: 'direct', userId: b.id },
      });
      if (response.statusCode >= 300)
        throw new Error(`createDirect: ${response.statusCode} ${response.body}`);
      return response.json();
    },
    createGroup: async (owner, members, title = 'Group') => {
      const response = await app.inject({
        method: 'POST',
        url: '/conversations',
        headers: owner.headers,
        payload: { type: 'group', title, memberIds: members.map((m) => m.id) },
      });
      if (response.statusCode !== 201)
        throw new Error(`createGroup: ${response.statusCode} ${response.body}`);
      return response.json();
    },
    send: (user, conversationId, body) =>
      app.inject({
        method: 'POST',
        url: `/conversations/${conversationId}/messages`,
        headers: user.headers,
        payload: body,
      }),
  };
}

let counter = 0;
export const clientId = () => `c${Date.now().toString(36)}${(counter++).toString(36)}`;
