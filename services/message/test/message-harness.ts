import type { Conversation, Message } from '@palaver/contracts';
import { Broker } from '@palaver/events';
import { createLogger } from '@palaver/logger';
import {
  backendVariables,
  buildOnTestBackends,
  createTestUsers,
  type EventRecorder,
  type InProcessHarness,
  isolatedEnvironment,
  recordEvents,
  startedForFile,
  type TestUser,
} from '@palaver/testing';
import type mongoose from 'mongoose';
import { buildMessageApp, type MessageApp } from '../src/app.ts';
import { loadMessageConfig } from '../src/config.ts';

// Tokens are minted with a test key; the service verifies them exactly as in
// production (JWKS, issuer, audience, algorithms), only the key set is local.
export const { issuer, makeUser, makeUsers } = createTestUsers();

export type { TestUser } from '@palaver/testing';

export interface MessageHarness extends MessageApp, InProcessHarness<Broker> {
  mongo: mongoose.Connection;
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
    ...backendVariables(env),
    ...(options.amqpUrl ? { AMQP_URL: options.amqpUrl } : {}),
    JWKS_URL: 'http://127.0.0.1:1/unused',
    LOG_LEVEL: 'silent',
    RELAY_INTERVAL: '10m', // tests flush the relay themselves
    // Unmetered unless a test is about the send budget.
    SEND_RATE: '1000000',
    SEND_BURST: '1000000',
    ...options.env,
  });
  const service = await buildOnTestBackends(
    config,
    { connectionName: label, Broker, logger: createLogger('message-test', 'silent'), mongo: true, issuer },
    (backends) => buildMessageApp(config, backends),
  );
  const { app } = service;

  return {
    ...service,
    env,
    close: () => service.close({ keep: Boolean(options.sameAs) }),
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

export interface RecordedMessageHarness extends MessageHarness {
  /** The events published on this file's exchange that match the pattern it was started with. */
  events: EventRecorder;
}

/** `startMessage`, recording the events that match `pattern` on this file's exchange until `close`. */
export async function startRecordedMessage(label: string, pattern: string): Promise<RecordedMessageHarness> {
  const service = await startMessage(label);
  const events = await recordEvents(service.env.amqpUrl, service.env.exchange, pattern);
  return {
    ...service,
    events,
    close: async () => {
      await events.close();
      await service.close();
    },
  };
}

/** Requests to `service` as `user`, with `payload` (if any) as the JSON body. */
export const requestsTo =
  (service: MessageHarness) =>
  (user: TestUser, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    service.app.inject({ method, url, headers: user.headers, ...(payload ? { payload } : {}) });

let counter = 0;
export const clientId = () => `c${Date.now().toString(36)}${(counter++).toString(36)}`;

/**
 * For this file's tests: a recorded service and a second process on the same backends
 * (another replica), started before the tests and closed after them (see `startedForFile`).
 */
export function recordedPairForFile(label: string, pattern: string) {
  const service = startedForFile(() => startRecordedMessage(label, pattern));
  const replica = startedForFile(() => startMessage(`${label}-replica`, { sameAs: service }));
  return { service, replica };
}
