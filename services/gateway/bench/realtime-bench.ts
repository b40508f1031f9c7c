/**
 * pnpm bench:realtime — the realtime path end to end over loopback, against two gateway
 * replicas, a message service and the project's infrastructure (all separate processes).
 *
 * 1. Sockets: BENCH_SOCKETS clients (socket.io-client, websocket) connect, spread over
 *    both replicas; connect rate, and the replicas' RSS per idle socket.
 * 2. Direct messages: pairs with sender and recipient on different replicas send at fixed
 *    rates (open loop, BENCH_DM_RATES); send→ack (stored) and send→received p50/p99.
 * 3. Group fan-out: one message stream into a BENCH_GROUP-member group whose members are
 *    spread over both replicas; deliveries per second and store→socket latency.
 * Every phase is bounded in count and time and stops by itself.
 */
import type { Message } from '@palaver/contracts';
import { openBenchEnvironment } from '@palaver/testing/bench-environment';
import { tableHead, writeBenchmarkReport } from '@palaver/testing/benchmark-report';
import { cpuSeconds, percentile, processMemory } from '@palaver/testing/process-tools';
import { storedMessage } from '@palaver/testing/test-messages';
import amqp from 'amqplib';
import {
  type Client,
  connectSocket,
  deployedGatewayNodeOptions,
  deployStack,
  publishMessageCreated,
} from './deployment.ts';

const socketCount = Number(process.env.BENCH_SOCKETS ?? 5000);
const dmRates = (process.env.BENCH_DM_RATES ?? '20,50,100').split(',').map(Number);
const groupSize = Number(process.env.BENCH_GROUP ?? 1000);
const groupRate = Number(process.env.BENCH_GROUP_RATE ?? 30);
const seconds = Number(process.env.BENCH_SECONDS ?? 4);
const dmPairs = 20;
/** As deployed (infra/local/lib/stack.sh): a small young generation, see docs/benchmarks/README.md. */
const gatewayNodeOptions = process.env.BENCH_GATEWAY_NODE_OPTIONS ?? deployedGatewayNodeOptions;

const MB = 1024 * 1024;

/** A replica's V8 heap in use and external memory (bytes), from its own /metrics. */
async function heapOf(base: string) {
  const text = await (await fetch(`${base}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)`, 'm').exec(text)?.[1] ?? 0);
  return { heap: value('nodejs_heap_size_used_bytes'), external: value('nodejs_external_memory_bytes') };
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fmt = (ms: number) => (Number.isFinite(ms) ? ms.toFixed(1) : '—');

interface User {
  id: string;
  token: string;
  socket?: Client;
  replica: number;
}

async function main() {
  const bench = await openBenchEnvironment();
  const users: User[] = [];
  const lines: string[] = [];
  const log = (line: string) => {
    console.log(line);
    lines.push(line);
  };
  try {
    const { env, message, gateways } = await deployStack(bench, 'realtime', {
      message: { SEND_RATE: '1000', SEND_BURST: '1000' },
      gateway: { NODE_OPTIONS: gatewayNodeOptions },
    });
    const api = async <T>(user: User, path: string, body: object): Promise<T> => {
      const response = await fetch(`${message.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    };

    // 1. Sockets.
    for (let i = 0; i < socketCount; i++) {
      const { id: userId, token } = await bench.issuer.mint({ expiresInSeconds: 3600 });
      users.push({ id: userId, token, replica: i % 2 });
    }
    const rssBefore = await Promise.all(gateways.map((g) => processMemory(g.child.pid as number)));
    const heapBefore = await Promise.all(gateways.map((g) => heapOf(g.url)));
    const started = performance.now();
    let failed = 0;
    const queue = [...users];
    await Promise.all(
      Array.from({ length: 100 }, async () => {
        for (let user = queue.shift(); user; user = queue.shift()) {
          const replica = gateways[user.replica] as (typeof gateways)[number];
          user.socket = await connectSocket(replica.url, user.token).catch(() => {
            failed++;
            return undefined;
          });
        }
      }),
    );
    const connectSeconds = (performance.now() - started) / 1000;
    // Idle long enough for V8's memory reducer to collect the connect-time garbage.
    await sleep(Number(process.env.BENCH_SETTLE_SECONDS ?? 20) * 1000);
    const rssAfter = await Promise.all(gateways.map((g) => processMemory(g.child.pid as number)));
    const heapAfter = await Promise.all(gateways.map((g) => heapOf(g.url)));
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const connected = users.filter((u) => u.socket?.connected).length;
    const perSocket = (sum(rssAfter) - sum(rssBefore)) / connected;
    const heapPerSocket =
      (sum(heapAfter.map((h) => h.heap)) - sum(heapBefore.map((h) => h.heap))) / connected;
    const externalPerSocket =
      (sum(heapAfter.map((h) => h.external)) - sum(heapBefore.map((h) => h.external))) / connected;
    log(
      `sockets: ${connected}/${socketCount} connected (${failed} refused) in ${connectSeconds.toFixed(1)} s = ${(connected / connectSeconds).toFixed(0)}/s; ` +
        `replica RSS ${rssBefore.map((r) => (r / MB).toFixed(0)).join('+')} → ${rssAfter.map((r) => (r / MB).toFixed(0)).join('+')} MB = ${(perSocket / 1024).toFixed(1)} KB per idle socket (V8 heap in use ${(heapPerSocket / 1024).toFixed(1)} KB, external ${(externalPerSocket / 1024).toFixed(1)} KB)`,
    );

    // 2. Direct messages, sender on replica 1 and recipient on replica 2.
    const pairs: { sender: User; recipient: User; chat: string }[] = [];
    for (let p = 0; p < dmPairs; p++) {
      const sender = users[2 * p] as User;
      const recipient = users[2 * p + 1] as User;
      const chat = await api<{ id: string }>(sender, '/conversations', {
        type: 'direct',
        userId: recipient.id,
      });
      pairs.push({ sender, recipient, chat: chat.id });
    }
    const sentAt = new Map<string, number>();
    const receivedAfter: number[] = [];
    for (const { recipient } of pairs) {
      recipient.socket?.on('message:received', ({ message: m }) => {
        const t0 = sentAt.get(m.clientMessageId);
        if (t0 !== undefined && m.senderId !== recipient.id) receivedAfter.push(performance.now() - t0);
      });
    }
    const dmRows: string[] = [];
    for (const rate of dmRates) {
      receivedAfter.length = 0;
      const acked: number[] = [];
      let errors = 0;
      const total = rate * seconds;
      const t = performance.now();
      const sends: Promise<void>[] = [];
      for (let i = 0; i < total; i++) {
        const wait = t + (i * 1000) / rate - performance.now();
        if (wait > 1) await sleep(wait);
        const { sender, chat } = pairs[i % pairs.length] as (typeof pairs)[number];
        const clientMessageId = `r${rate}-${i}`;
        const t0 = performance.now();
        sentAt.set(clientMessageId, t0);
        sends.push(
          (sender.socket as Client)
            .timeout(30_000)
            .emitWithAck('message:send', { conversationId: chat, clientMessageId, body: `dm ${i}` })
            .then(
              (ack) => {
                if (ack.ok) acked.push(performance.now() - t0);
                else errors++;
              },
              () => {
                errors++;
              },
            ),
        );
      }
      await Promise.all(sends);
      const deadline = Date.now() + 10_000;
      while (receivedAfter.length < acked.length && Date.now() < deadline) await sleep(50);
      const elapsed = (performance.now() - t) / 1000;
      acked.sort((a, b) => a - b);
      const received = [...receivedAfter].sort((a, b) => a - b);
      dmRows.push(
        `| ${rate} | ${(acked.length / elapsed).toFixed(0)} | ${fmt(percentile(acked, 50))} | ${fmt(percentile(acked, 99))} | ${received.length}/${total} | ${fmt(percentile(received, 50))} | ${fmt(percentile(received, 99))} | ${errors} |`,
      );
      console.log(dmRows.at(-1));
    }

    // 3. Group fan-out.
    const members = users.filter((u) => u.socket?.connected).slice(0, groupSize);
    const owner = members[0] as User;
    const group = await api<{ id: string }>(owner, '/conversations', {
      type: 'group',
      title: 'fan-out',
      memberIds: members.slice(1).map((m) => m.id),
    });
    await sleep(2000);
    const memberIds = members.map((m) => m.id);
    let groupLatencies: number[] = [];
    let firstAt = 0;
    let lastAt = 0;
    for (const member of members) {
      member.socket?.on('message:received', ({ message: m }: { message: Message }) => {
        if (m.conversationId !== group.id || m.kind === 'system') return;
        const now = performance.now();
        if (firstAt === 0) firstAt = now;
        lastAt = now;
        groupLatencies.push(Date.now() - Date.parse(m.createdAt));
      });
    }
    /** Offers `groupRate` messages/s for `seconds` through `send`; logs what reached the members. */
    const measureGroup = async (label: string, send: (i: number) => Promise<unknown>) => {
      groupLatencies = [];
      firstAt = 0;
      const count = groupRate * seconds;
      const pids = {
        message: message.child.pid as number,
        gateways: gateways.map((g) => g.child.pid as number),
      };
      const cpuAt = async () => ({
        message: await cpuSeconds(pids.message),
        gateways: (await Promise.all(pids.gateways.map(cpuSeconds))).reduce((a, b) => a + b, 0),
        clients: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6,
      });
      const cpuBefore = await cpuAt();
      const t = performance.now();
      const sends: Promise<unknown>[] = [];
      for (let i = 0; i < count; i++) {
        const wait = t + (i * 1000) / groupRate - performance.now();
        if (wait > 1) await sleep(wait);
        sends.push(send(i).catch(() => undefined));
      }
      await Promise.all(sends);
      const expected = count * members.length;
      const deadline = Date.now() + 30_000;
      while (groupLatencies.length < expected && Date.now() < deadline) await sleep(100);
      const window = (lastAt - firstAt) / 1000;
      const wall = (performance.now() - t) / 1000;
      const cpuAfter = await cpuAt();
      const share = (key: 'message' | 'gateways' | 'clients') =>
        `${(((cpuAfter[key] - cpuBefore[key]) / wall) * 100).toFixed(0)}%`;
      const sorted = [...groupLatencies].sort((a, b) => a - b);
      log(
        `| ${label} | ${count} at ${groupRate}/s | ${sorted.length}/${expected} | ${window.toFixed(1)} | ${(sorted.length / window).toFixed(0)} | ${fmt(percentile(sorted, 50))} | ${fmt(percentile(sorted, 99))} | ${share('gateways')} / ${share('message')} / ${share('clients')} |`,
      );
    };
    // The full path: a member sends; the message service stores it and publishes the event.
    await measureGroup('full path (socket send → store → broker → gateways)', (i) =>
      (owner.socket as Client).timeout(30_000).emitWithAck('message:send', {
        conversationId: group.id,
        clientMessageId: `g-${i}`,
        body: `to all ${i}`,
      }),
    );
    // The gateways alone: the same events published straight onto the exchange.
    const amqpConnection = await amqp.connect(bench.infra.amqpUrl, { noDelay: true });
    const channel = await amqpConnection.createConfirmChannel();
    await measureGroup('gateways only (event published → gateways)', async (i) => {
      const message = storedMessage({
        conversationId: group.id,
        seq: 100_000 + i,
        senderId: owner.id,
        clientMessageId: `direct-${i}`,
        body: `to all ${i}`,
      });
      publishMessageCreated(channel, env.exchange, message, memberIds);
    });
    await amqpConnection.close();

    await writeBenchmarkReport('realtime', {
      title: 'Realtime: sockets, direct messages and group fan-out through two gateway replicas',
      command: `BENCH_SOCKETS=${socketCount} BENCH_DM_RATES=${dmRates.join(',')} BENCH_GROUP=${groupSize} BENCH_GROUP_RATE=${groupRate} BENCH_SECONDS=${seconds} pnpm bench:realtime`,
      setup: [
        `Infrastructure: ${bench.infra.source}; one message service, two gateway processes (FANOUT=replica-queue), the benchmark's clients in one process; all on this machine.`,
        'Clients: socket.io-client over websocket on loopback, alternating replicas; direct-message pairs have sender and recipient on different replicas.',
        `Gateways run with NODE_OPTIONS=${gatewayNodeOptions}. RSS per socket: the replicas' RSS growth over the connects, after 20 s idle (so V8's memory reducer has run), divided by the sockets.`,
      ],
      body: [
        lines[0] ?? '',
        '',
        '## Direct messages (sender and recipient on different replicas)',
        '',
        ...tableHead(
          '| offered msg/s | acked/s | send→ack p50 ms | p99 | received | send→received p50 ms | p99 | errors |',
        ),
        ...dmRows,
        '',
        `## Group fan-out (${members.length} members on both replicas)`,
        '',
        ...tableHead(
          '| path | messages | deliveries | seconds | deliveries/s | store→socket p50 ms | p99 ms | CPU: gateways / message / clients (100% = 1 core) |',
        ),
        ...lines.slice(1),
      ],
    });
  } finally {
    for (const user of users) user.socket?.disconnect();
    await bench.close();
  }
}

await main();
