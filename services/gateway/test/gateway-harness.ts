import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type {
  Ack,
  ClientEventName,
  ClientEventPayload,
  ClientEventResults,
  ClientToServerEvents,
  Conversation,
  ServerToClientEvents,
} from '@palaver/contracts';
import { Broker } from '@palaver/events';
import { createLogger } from '@palaver/logger';
import {
  backendVariables,
  connectTestBackends,
  createTestTokenIssuer,
  dropMongoDatabase,
  type IsolatedEnvironment,
  isolatedEnvironment,
  type ServiceProcess,
  type Several,
  several,
  startServiceProcess,
  startTestBroker,
  type TestRevocationList,
  type TestUser,
} from '@palaver/testing';
import { Redis } from 'ioredis';
import { io as connectClient, type Socket } from 'socket.io-client';
import { buildGatewayApp, type GatewayApp } from '../src/app.ts';
import { createMessageApi, type MessageApi } from '../src/clients/message-api.ts';
import { loadGatewayConfig } from '../src/config.ts';
import { gatewayVariables, messageServiceVariables } from './stack-variables.ts';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
export type { TestUser };

const messageEntry = fileURLToPath(new URL('../../message/src/server.ts', import.meta.url));
const gatewayEntry = fileURLToPath(new URL('../src/server.ts', import.meta.url));

export interface GatewayReplica {
  url: string;
  replicaId: string;
  /** In-process replicas only. */
  app?: GatewayApp;
  /** Replicas run as processes (for SIGKILL and SIGTERM). */
  process?: ServiceProcess;
  /** In-process replicas only: its broker connection, to cut as a network failure would. */
  broker?: Broker;
  /** In-process replicas only: its presence Redis connection (keys under `gateway:`). */
  redis?: Redis;
  /** In-process replicas only: the adapter's subscriber connection. */
  adapterSub?: Redis;
  close: () => Promise<void>;
}

export interface GatewayStack {
  env: IsolatedEnvironment;
  messageUrl: string;
  gateways: GatewayReplica[];
  /** A user with a fresh token (and a new id unless given). */
  user: (options?: { userId?: string; sessionId?: string; expiresInSeconds?: number }) => Promise<TestUser>;
  /** `count` new users at once: `const [ada, bob] = await stack.users(2)`. */
  users: <N extends number>(count: N) => Promise<Several<TestUser, N>>;
  startGateway: (options?: ReplicaOptions) => Promise<GatewayReplica>;
  /** Connects a client to a replica and waits until it is connected. */
  connect: (replica: GatewayReplica, user: TestUser) => Promise<ClientSocket>;
  /** Calls the message service over HTTP as `user`. */
  call: <T = unknown>(user: TestUser, method: string, path: string, body?: object) => Promise<T>;
  direct: (a: TestUser, b: TestUser) => Promise<Conversation>;
  group: (owner: TestUser, members: TestUser[]) => Promise<Conversation>;
  broker: Broker;
  /** Ended sessions, as auth lists them. */
  revocations: TestRevocationList;
  close: () => Promise<void>;
}

export interface ReplicaOptions {
  /** Its own process (as deployed) rather than in this one. */
  process?: boolean;
  env?: Record<string, string>;
  /** In process only: the replica's view of the message service, e.g. with a fault in it. */
  messageApi?: (api: MessageApi) => MessageApi;
}

export interface StackOptions {
  replicas?: number;
  /** Gateway configuration shared by every replica. */
  gatewayEnv?: Record<string, string>;
  /** Message service configuration (sends are unmetered unless it sets SEND_RATE). */
  messageEnv?: Record<string, string>;
}

/**
 * A real message service (its own process), real Redis and RabbitMQ, and gateway
 * replicas side by side, all isolated to this test file by prefixes and names.
 */
export async function startGatewayStack(label: string, options: StackOptions = {}): Promise<GatewayStack> {
  const env = isolatedEnvironment(label);
  const issuer = createTestTokenIssuer();
  const jwksServer = await issuer.serve();
  const logger = createLogger(`${label}-test`, 'silent');
  const sockets: ClientSocket[] = [];
  const gateways: GatewayReplica[] = [];
  const backends = await connectTestBackends(backendVariables(env), {
    connectionName: label,
    Broker,
    logger,
    issuer,
  });
  const { broker, revocations } = backends;
  const message = await startServiceProcess(messageEntry, {
    ...messageServiceVariables(env, jwksServer.url),
    SEND_BATCH_WINDOW_MS: '1',
    RELAY_INTERVAL: '1s',
    ...options.messageEnv,
  });
  const gatewayEnv = (replicaId: string, extra: Record<string, string> = {}) => ({
    ...gatewayVariables(env, replicaId, { messageUrl: message.url, jwksUrl: jwksServer.url }),
    LOG_LEVEL: 'silent',
    ...options.gatewayEnv,
    ...extra,
  });

  async function startGateway(replicaOptions: ReplicaOptions = {}) {
    const replicaId = `${label}-${gateways.length + 1}`;
    let replica: GatewayReplica;
    if (replicaOptions.process) {
      const child = await startServiceProcess(gatewayEntry, gatewayEnv(replicaId, replicaOptions.env));
      replica = {
        url: child.url,
        replicaId,
        process: child,
        close: async () => {
          await child.stop('SIGKILL');
        },
      };
    } else {
      const config = loadGatewayConfig(gatewayEnv(replicaId, replicaOptions.env));
      const redis = new Redis(config.REDIS_URL, {
        keyPrefix: `${config.REDIS_PREFIX}gateway:`,
        lazyConnect: true,
      });
      const adapterPub = new Redis(config.REDIS_URL, { lazyConnect: true });
      const adapterSub = adapterPub.duplicate({ maxRetriesPerRequest: null }); // as server.ts
      await Promise.all([redis.connect(), adapterPub.connect(), adapterSub.connect()]);
      const gatewayBroker = await startTestBroker(Broker, config, logger, replicaId);
      const api = createMessageApi(message.url, { connections: config.MESSAGE_CONNECTIONS });
      const messageApi = replicaOptions.messageApi?.(api) ?? api;
      const app = await buildGatewayApp(config, {
        redis,
        adapterPub,
        adapterSub,
        broker: gatewayBroker,
        verifyAccessToken: issuer.verifier(revocations.list), // one per replica, as each server has its own
        messageApi,
        logger,
      });
      await app.app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = app.app.server.address() as AddressInfo;
      replica = {
        url: `http://127.0.0.1:${port}`,
        replicaId,
        app,
        broker: gatewayBroker,
        redis,
        adapterSub,
        close: async () => {
          await app.app.close();
          await Promise.all([gatewayBroker.close(), messageApi.close()]);
          await Promise.allSettled([redis.quit(), adapterPub.quit(), adapterSub.quit()]);
        },
      };
    }
    gateways.push(replica);
    return replica;
  }

  for (let i = 0; i < (options.replicas ?? 2); i++) await startGateway();

  async function call<T>(user: TestUser, method: string, path: string, body?: object): Promise<T> {
    const response = await fetch(`${message.url}${path}`, {
      method,
      headers: { ...user.headers, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const payload = (response.status === 204 ? undefined : await response.json()) as T;
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(payload)}`);
    return payload;
  }

  return {
    env,
    messageUrl: message.url,
    gateways,
    broker,
    revocations,
    user: (userOptions) => issuer.mint(userOptions),
    users: (count) => several(count, () => issuer.mint()),
    startGateway,
    async connect(replica, user) {
      const socket: ClientSocket = connectClient(replica.url, {
        auth: { token: user.token },
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
      });
      sockets.push(socket);
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
      return socket;
    },
    call,
    direct: (a, b) => call(a, 'POST', '/conversations', { type: 'direct', userId: b.id }),
    group: (owner, members) =>
      call(owner, 'POST', '/conversations', {
        type: 'group',
        title: 'Group',
        memberIds: members.map((member) => member.id),
      }),
    async close() {
      for (const socket of sockets) socket.disconnect();
      for (const gateway of gateways) await gateway.close().catch(() => undefined);
      await message.stop();
      await backends.close();
      await dropMongoDatabase(env.mongoDatabaseUrl); // the message service's
      await jwksServer.close();
    },
  };
}

/** Cuts a broker's TCP connection under it, as a network failure would; it reconnects by itself. */
export function dropConnection(broker: Broker) {
  const model = (
    broker as unknown as { connection?: { connection: { stream: { destroy(error: Error): void } } } }
  ).connection;
  if (!model) throw new Error('the broker is not connected');
  model.connection.stream.destroy(new Error('network cut (test)'));
}

/** Sends a client event and waits for its ack. */
export function request<E extends ClientEventName>(
  socket: ClientSocket,
  event: E,
  payload: ClientEventPayload<E>,
  timeoutMs = 10_000,
): Promise<Ack<ClientEventResults[E]>> {
  // The typed emit wants the exact ack signature; the envelope is what comes back.
  const emit = socket.timeout(timeoutMs).emitWithAck as unknown as (
    event: string,
    payload: unknown,
  ) => Promise<Ack<ClientEventResults[E]>>;
  return emit.call(socket.timeout(timeoutMs), event, payload);
}

/** Collects every `event` a socket receives, for exactly-once counting. */
export function collect<E extends keyof ServerToClientEvents>(socket: ClientSocket, event: E) {
  const received: Parameters<ServerToClientEvents[E]>[0][] = [];
  (socket.on as (event: string, listener: (payload: unknown) => void) => void)(event, (payload) => {
    received.push(payload as Parameters<ServerToClientEvents[E]>[0]);
  });
  return received;
}

/** Polls until `check` passes (it throws or returns false until then). */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const result = await check();
      if (result !== false) return result;
      if (Date.now() > deadline) throw new Error('condition still false');
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let counter = 0;
export const clientMessageId = () => `g${Date.now().toString(36)}${(counter++).toString(36)}`;

/** Sends a message over the socket (a fresh clientMessageId) and returns it as stored; throws if refused. */
export async function send(
  socket: ClientSocket,
  conversationId: string,
  body: string,
  extra: Partial<ClientEventPayload<'message:send'>> = {},
) {
  const ack = await request(socket, 'message:send', {
    conversationId,
    clientMessageId: clientMessageId(),
    body,
    ...extra,
  });
  if (!ack.ok) throw new Error(ack.error.message);
  return ack.message;
}
