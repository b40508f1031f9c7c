/**
 * The systems `pnpm bench:peers` puts side by side, each behind one shape: who its clients
 * are, how a client joins a 1,000-member group or a direct chat, and the ways a message is
 * sent into it (a "sender" per row: Palaver has two, gateways only and the full path, in
 * palaver-system.ts). Here: the shapes, and the bare Socket.IO server and Centrifugo.
 */
import { randomUUID } from 'node:crypto';
import type { BenchEnvironment } from '@palaver/testing/bench-environment';
import type { LoadGenerator, Step, Target } from './load-generator.ts';
import type { Protocol } from './load-protocol.ts';
import { centrifugoVersion, sharedInfraPids, startBareSocketIo, startCentrifugo } from './peer-servers.ts';

/** One way of sending: `count` messages at `rate`/s; the reply delays it saw (acks), if any. */
export interface Sender {
  label: string;
  /** The server processes whose CPU this row counts. */
  serverPids: number[];
  /** Shared infrastructure it goes through (Redis, RabbitMQ), shown apart: other work uses it too. */
  infraPids: number[];
  run: (count: number, rate: number) => Promise<{ acked: number[]; errors: number; firstError?: string }>;
}

export interface System {
  name: string;
  protocol: Protocol;
  /** The realtime tier's processes (RSS per socket, connect). */
  serverPids: number[];
  /** Other processes of the system that a connect keeps busy (Palaver: the message service's contacts lookup). */
  helperPids: number[];
  /** Client i connects to replica i % replicas. */
  targets: (count: number) => Promise<Target[]>;
  /** Makes `members` receive the group's messages; the first one sends. */
  group: (members: number[]) => Promise<Sender[]>;
  /** Each pair: the first sends to the second, on the other replica when there are two. */
  directs: (pairs: Array<[number, number]>) => Promise<Sender[]>;
  stop: () => Promise<unknown>;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A sender in the parent: `publish(i)` at `rate`/s, open loop. */
export const fromParent = (publish: (i: number) => void) => async (count: number, rate: number) => {
  const t = performance.now();
  for (let i = 0; i < count; i++) {
    const wait = t + (i * 1000) / rate - performance.now();
    if (wait > 1) await sleep(wait);
    publish(i);
  }
  return { acked: [], errors: 0 };
};
export const fromClients = (generator: LoadGenerator, plan: Step[]) => (count: number, rate: number) =>
  generator.send(plan, count, rate);

/** The bare Socket.IO server, two replicas on the sharded Redis adapter. */
export async function bareSocketIo(bench: BenchEnvironment, generator: LoadGenerator): Promise<System> {
  const { nodes, stop } = await startBareSocketIo(bench, `bench:${randomUUID()}:bare`);
  const infraPids = (await sharedInfraPids(bench.infra.source)).redis;
  const emit = (client: number, event: string, payload: Record<string, unknown>): Step => ({
    client,
    outgoing: { kind: 'emit', event, payload },
  });
  const label = 'bare Socket.IO 4.8';
  return {
    name: label,
    protocol: 'socketio',
    serverPids: nodes.map((n) => n.pid),
    helperPids: [],
    targets: async (count) =>
      Array.from({ length: count }, (_, i) => ({
        base: (nodes[i % 2] as (typeof nodes)[0]).url,
        auth: { userId: `u${i}` },
      })),
    group: async (members) => {
      const failed = await generator.request(members.map((m) => emit(m, 'join', { room: 'group' })));
      if (failed) console.warn(`${failed} joins failed: those members will miss the group's messages`);
      const plan = [emit(members[0] ?? 0, 'publish', { room: 'group', bench: '$stamp' })];
      return [{ label, serverPids: nodes.map((n) => n.pid), infraPids, run: fromClients(generator, plan) }];
    },
    directs: async (pairs) => {
      const plan = pairs.map(([a, b]) => emit(a, 'dm', { to: `u${b}`, bench: '$stamp' }));
      return [{ label, serverPids: nodes.map((n) => n.pid), infraPids, run: fromClients(generator, plan) }];
    },
    stop,
  };
}

/** Centrifugo: two nodes on the Redis engine, or one on the memory engine. */
export async function centrifugo(
  bench: BenchEnvironment,
  generator: LoadGenerator,
  engine: 'redis' | 'memory',
): Promise<System> {
  const count = engine === 'redis' ? 2 : 1;
  const { nodes, token, stop } = await startCentrifugo(bench, {
    engine,
    count,
    redisPrefix: `bench-${randomUUID()}-centrifugo`,
  });
  const label = `Centrifugo ${centrifugoVersion}, ${engine} engine${count > 1 ? '' : ', 1 node'}`;
  const pids = nodes.map((n) => n.pid);
  // The memory engine goes through no Redis.
  const infraPids = engine === 'redis' ? (await sharedInfraPids(bench.infra.source)).redis : [];
  const subscribe = async (clients: number[], channel: (client: number) => string) => {
    const failed = await generator.request(
      clients.map((c) => ({ client: c, outgoing: { kind: 'subscribe', channel: channel(c) } })),
    );
    if (failed) console.warn(`${failed} subscriptions failed: those clients will miss their messages`);
  };
  const publish = (client: number, channel: string): Step => ({
    client,
    outgoing: { kind: 'publish', channel, data: { bench: '$stamp' } },
  });
  return {
    name: label,
    protocol: 'centrifugo',
    serverPids: pids,
    helperPids: [],
    targets: async (n) =>
      Array.from({ length: n }, (_, i) => ({
        base: (nodes[i % count] as (typeof nodes)[0]).url,
        auth: { token: token(`u${i}`) },
      })),
    group: async (members) => {
      await subscribe(members, () => 'chat:group');
      return [
        {
          label,
          serverPids: pids,
          infraPids,
          run: fromClients(generator, [publish(members[0] ?? 0, 'chat:group')]),
        },
      ];
    },
    directs: async (pairs) => {
      await subscribe(
        pairs.map(([, b]) => b),
        (b) => `chat:dm-${b}`,
      );
      return [
        {
          label,
          serverPids: pids,
          infraPids,
          run: fromClients(
            generator,
            pairs.map(([a, b]) => publish(a, `chat:dm-${b}`)),
          ),
        },
      ];
    },
    stop,
  };
}
