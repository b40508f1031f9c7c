/**
 * Palaver in `pnpm bench:peers`: a message service and two gateways (as bench:realtime
 * deploys them), with two rows per workload — events published at the broker (gateways
 * only) and a socket's `message:send` through the message service (full path).
 */
import type { BenchEnvironment } from '@palaver/testing/bench-environment';
import { storedMessage } from '@palaver/testing/test-messages';
import amqp from 'amqplib';
import { cpuProfileOptions, deployStack, publishMessageCreated } from '../deployment.ts';
import type { LoadGenerator, Step } from './load-generator.ts';
import { stamp } from './load-protocol.ts';
import { sharedInfraPids } from './peer-servers.ts';
import { fromClients, fromParent, type Sender, type System, sleep } from './systems.ts';

async function deployPalaver(bench: BenchEnvironment, nodeOptions: string) {
  // BENCH_PROFILE=dir: the gateways and the message service write V8 CPU profiles there
  // when they stop (CPU.<date>.<pid>…; the bench prints which pid is which).
  const profile = cpuProfileOptions();
  const stack = await deployStack(bench, 'peers', {
    message: { SEND_RATE: '100000', SEND_BURST: '100000', ...(profile ? { NODE_OPTIONS: profile } : {}) },
    gateway: {
      NODE_OPTIONS: `${nodeOptions} ${profile}`.trim(),
      // One socket sends the whole group stream: lift the per-socket event budget.
      EVENT_RATE: '100000',
      EVENT_BURST: '100000',
      // BENCH_GATEWAY_ENV="ADAPTER_SUBSCRIPTIONS=static,…": a configuration to compare.
      ...Object.fromEntries(
        (process.env.BENCH_GATEWAY_ENV ?? '')
          .split(',')
          .filter(Boolean)
          .map((pair) => pair.split('=', 2)),
      ),
    },
  });
  const amqpConnection = await amqp.connect(bench.infra.amqpUrl, { noDelay: true });
  bench.onClose(() => amqpConnection.close());
  const channel = await amqpConnection.createChannel();
  let seq = 1_000_000;
  /** A `message.created` straight onto the exchange, stamped, as the message service would publish it. */
  const inject = (conversationId: string, senderId: string, memberIds: string[]) =>
    publishMessageCreated(
      channel,
      stack.env.exchange,
      storedMessage({ conversationId, seq: seq++, senderId, clientMessageId: stamp(), body: 'bench' }),
      memberIds,
    );
  if (profile)
    console.log(
      `profiles: message service ${stack.message.child.pid}, gateways ${stack.gateways.map((g) => g.child.pid).join(', ')}`,
    );
  const shared = await sharedInfraPids(bench.infra.source);
  return { ...stack, inject, infraPids: [...shared.redis, ...shared.broker] };
}

/** A socket's `message:send` into a conversation, stamped by the load worker. */
const send = (client: number, conversationId: string): Step => ({
  client,
  outgoing: {
    kind: 'emit',
    event: 'message:send',
    payload: { conversationId, clientMessageId: '$stamp', body: 'bench' },
  },
});

export async function palaver(
  bench: BenchEnvironment,
  generator: LoadGenerator,
  nodeOptions: string,
): Promise<System> {
  const { message, gateways, inject, infraPids } = await deployPalaver(bench, nodeOptions);
  const users: Array<{ id: string; token: string }> = [];
  const id = (client: number) => users[client]?.id as string;
  const gatewayPids = gateways.map((g) => g.child.pid as number);
  const api = async <T>(user: number, path: string, body: object): Promise<T> => {
    const response = await fetch(`${message.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${users[user]?.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  const rows = (injectOne: (i: number) => void, plan: Step[]): Sender[] => [
    { label: 'Palaver, gateways only', serverPids: gatewayPids, infraPids, run: fromParent(injectOne) },
    {
      label: 'Palaver, full path',
      serverPids: [...gatewayPids, message.child.pid as number],
      infraPids,
      run: fromClients(generator, plan),
    },
  ];
  return {
    name: 'Palaver',
    protocol: 'socketio',
    serverPids: gatewayPids,
    helperPids: [message.child.pid as number],
    targets: async (count) => {
      for (let i = users.length; i < count; i++)
        users.push(await bench.issuer.mint({ expiresInSeconds: 7200 }));
      return users
        .slice(0, count)
        .map((u, i) => ({ base: (gateways[i % 2] as (typeof gateways)[0]).url, auth: { token: u.token } }));
    },
    group: async (members) => {
      const [owner = 0, ...others] = members;
      const group = await api<{ id: string }>(owner, '/conversations', {
        type: 'group',
        title: 'peers',
        memberIds: others.map(id),
      });
      await sleep(2000); // the membership events reach both gateways
      const memberIds = members.map(id);
      return rows(() => inject(group.id, id(owner), memberIds), [send(owner, group.id)]);
    },
    directs: async (pairs) => {
      const chats = await Promise.all(
        pairs.map(([a, b]) => api<{ id: string }>(a, '/conversations', { type: 'direct', userId: id(b) })),
      );
      await sleep(1000);
      const chat = (p: number) => (chats[p] as { id: string }).id;
      return rows(
        (i) => {
          const [a, b] = pairs[i % pairs.length] as [number, number];
          inject(chat(i % pairs.length), id(a), [id(a), id(b)]);
        },
        pairs.map(([a], p) => send(a, chat(p))),
      );
    },
    stop: () => Promise.all([message, ...gateways].map((s) => s.stop())),
  };
}
