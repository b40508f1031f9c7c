import type { PresenceStatus } from '@palaver/contracts';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ClientSocket,
  collect,
  eventually,
  type GatewayReplica,
  type GatewayStack,
  startGatewayStack,
  type TestUser,
} from './gateway-harness.ts';

// Presence when Redis fails under the gateways: a replica's connection to it dropped, Redis
// restarted empty, Redis restored from an older snapshot. Contacts must end up seeing the
// truth within a heartbeat of Redis answering again.
describe('presence after a Redis failure', () => {
  let stack: GatewayStack;
  let raw: Redis;
  beforeAll(async () => {
    stack = await startGatewayStack('presence-recovery', {
      replicas: 2,
      gatewayEnv: { PRESENCE_HEARTBEAT: '1s', PRESENCE_TIMEOUT: '30s' },
    });
    raw = new Redis(stack.env.redisUrl);
  });
  afterAll(async () => {
    await raw?.quit();
    await stack?.close();
  });

  const first = () => stack.gateways[0] as GatewayReplica & { redis: Redis };
  const second = () => stack.gateways[1] as GatewayReplica;

  /** Bob on the second replica, watching `people` (each in a direct chat with him). */
  async function watcher(people: TestUser[]) {
    const bob = await stack.user();
    for (const person of people) await stack.direct(person, bob);
    const socket = await stack.connect(second(), bob);
    return { socket, sees: collect(socket, 'user:status') };
  }
  const lastStatus = (sees: { userId: string; status: PresenceStatus }[], userId: string) =>
    sees.filter((s) => s.userId === userId).at(-1)?.status;
  async function snapshotOf(userId: string) {
    const viewer = await stack.user();
    await stack.direct(viewer, { id: userId } as TestUser);
    const socket: ClientSocket = await stack.connect(second(), viewer);
    const sees = collect(socket, 'user:status');
    const status = await eventually(() => lastStatus(sees, userId) ?? false);
    socket.disconnect();
    return status;
  }
  async function deleteKeys(pattern: string) {
    for await (const keys of raw.scanStream({ match: pattern, count: 500 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) await raw.del(...keys);
    }
  }

  it('tells contacts who left while their replica could not reach Redis, once it can', async () => {
    const ada = await stack.user();
    const { sees } = await watcher([ada]);
    const adaSocket = await stack.connect(first(), ada);
    await eventually(() => lastStatus(sees, ada.id) === 'online');

    first().redis.disconnect();
    adaSocket.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(lastStatus(sees, ada.id)).toBe('online'); // the registry could not be told

    await first().redis.connect();
    await eventually(() => lastStatus(sees, ada.id) === 'offline', 5_000);
    expect(await snapshotOf(ada.id)).toBe('offline');
  });

  it('tells contacts who left after Redis lost its data, and registers those still here again', async () => {
    const [ada, carol] = [await stack.user(), await stack.user()];
    const { sees } = await watcher([ada, carol]);
    const adaSocket = await stack.connect(first(), ada);
    await stack.connect(first(), carol);
    await eventually(() => lastStatus(sees, ada.id) === 'online' && lastStatus(sees, carol.id) === 'online');

    await deleteKeys(`${stack.env.redisPrefix}gateway:presence:*`); // a restart without persistence
    adaSocket.disconnect(); // before her replica's next heartbeat notices
    await eventually(() => lastStatus(sees, ada.id) === 'offline', 5_000);
    // Carol's replica finds its heartbeat gone and registers her socket again.
    await eventually(async () => (await snapshotOf(carol.id)) === 'online', 5_000);
    expect(lastStatus(sees, carol.id)).toBe('online');
  });

  it('tells its watchers what they missed while their own subscriptions were down', async () => {
    const erin = await stack.user();
    const { sees } = await watcher([erin]);
    const erinSocket = await stack.connect(first(), erin);
    await eventually(() => lastStatus(sees, erin.id) === 'online');

    // The watcher's replica stops hearing other replicas (as when its adapter reconnects
    // to a restarted Redis later than theirs); erin's replica announces her leaving meanwhile.
    const subscriber = second().adapterSub as Redis;
    const { retryStrategy } = subscriber.options;
    subscriber.options.retryStrategy = () => {
      subscriber.options.retryStrategy = retryStrategy;
      return 2_000; // down for 2 s, then back with what ioredis resubscribes
    };
    subscriber.disconnect(true);
    erinSocket.disconnect();
    await eventually(async () => (await snapshotOf(erin.id)) === 'offline');
    expect(subscriber.status).not.toBe('ready');
    expect(lastStatus(sees, erin.id)).toBe('online'); // the announcement did not reach it

    await eventually(() => lastStatus(sees, erin.id) === 'offline', 6_000);
  });

  it('forgets sockets that Redis brought back from an older snapshot', async () => {
    const dave = await stack.user();
    // What a restore would hold: a socket dave closed after the snapshot was taken.
    const { replicaId } = first();
    const prefix = `${stack.env.redisPrefix}gateway:`;
    await raw.sadd(`${prefix}presence:replica:${replicaId}`, `${dave.id}/ghost`);
    await raw.hset(`${prefix}presence:{${dave.id}}:sockets`, `${replicaId}/ghost`, new Date().toISOString());
    const { sees } = await watcher([dave]);
    await eventually(() => lastStatus(sees, dave.id) === 'online');

    // The replica's connection drops and comes back, as it would across a Redis restart.
    first().redis.disconnect(true);
    await eventually(() => lastStatus(sees, dave.id) === 'offline', 5_000);
    expect(await raw.sismember(`${prefix}presence:replica:${replicaId}`, `${dave.id}/ghost`)).toBe(0);
  });
});

// The message service sheds load in a reconnect storm: a socket whose contacts lookup was
// refused must still come to watch its contacts, or its user sees nobody's presence.
describe('presence after a refused contacts lookup', () => {
  let stack: GatewayStack;
  beforeAll(async () => {
    stack = await startGatewayStack('presence-contacts-refused', { replicas: 1 });
  });
  afterAll(() => stack?.close());

  it('watches the contacts once a retry of the lookup succeeds', async () => {
    const [ada, bob] = await stack.users(2);
    await stack.direct(ada, bob);
    let refused = 0;
    const faulty = await stack.startGateway({
      messageApi: (api) => ({
        ...api,
        contacts: (token, maxGroupSize) => {
          if (refused++ === 0) return Promise.reject(new Error('503 unavailable'));
          return api.contacts(token, maxGroupSize);
        },
      }),
    });
    const bobSocket = await stack.connect(faulty, bob);
    const bobSees = collect(bobSocket, 'user:status');
    await eventually(() => refused === 1);
    await stack.connect(stack.gateways[0] as GatewayReplica, ada);
    // The retry comes within 0.5–1.5 s and tells bob ada's presence as it is then.
    await eventually(() => bobSees.some((s) => s.userId === ada.id && s.status === 'online'), 5_000);
    expect(refused).toBe(2);
  });
});
