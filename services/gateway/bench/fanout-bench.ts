/**
 * pnpm bench:fanout — the two fan-out designs side by side in one run.
 *
 * - replica-queue: each replica has its own queue bound to every event and emits to its
 *   own sockets (`io.local`); no Redis traffic per delivery.
 * - shared-queue: the replicas compete on one durable queue; the one that takes an event
 *   broadcasts it through the sharded Redis adapter to whichever replica holds the sockets.
 *
 * For each design: a message service and two gateway replicas (processes), 120 users in
 * 24 groups of 5, one socket each, spread over both replicas. The benchmark publishes
 * `message.created` events straight onto the exchange (open loop, fixed rate), so only
 * the fan-out is measured, and counts what every socket receives: deliveries expected vs
 * received (lost or doubled), store→socket latency p50/p99, and the gateways' CPU time per
 * 1,000 events. The designs take turns; cells are medians of BENCH_REPEATS runs.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Message, ServerToClientEvents } from '@palaver/contracts';
import { median, writeBenchmarkReport } from '@palaver/testing/benchmark-report';
import { provisionInfrastructure } from '@palaver/testing/infrastructure';
import { percentile, type ServiceProcess, startServiceProcess } from '@palaver/testing/process-tools';
import { markRevocationListComplete } from '@palaver/testing/revocation-list';
import { createTestTokenIssuer } from '@palaver/testing/test-tokens';
import amqp from 'amqplib';
import mongoose from 'mongoose';
import { io as connectClient, type Socket } from 'socket.io-client';

const rates = (process.env.BENCH_RATES ?? '200,500,1000').split(',').map(Number);
const seconds = Number(process.env.BENCH_SECONDS ?? 4);
const repeats = Number(process.env.BENCH_REPEATS ?? 3);
const users = 120;
const groupSize = 5;
const modes = ['replica-queue', 'shared-queue'] as const;
type Mode = (typeof modes)[number];

const messageEntry = fileURLToPath(new URL('../../message/src/server.ts', import.meta.url));
const gatewayEntry = fileURLToPath(new URL('../src/server.ts', import.meta.url));
const clockTicks = 100; // USER_HZ on Linux

/** CPU seconds a process has used so far (user + system), from /proc. */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

interface Deployment {
  mode: Mode;
  exchange: string;
  gateways: ServiceProcess[];
  sockets: Socket<ServerToClientEvents>[];
  groups: string[][];
  /** Latency (ms) of every delivery in the current run. */
  received: number[];
  /** Per user: how many times each message id reached their socket in the current run. */
  receipts: Map<string, Map<string, number>>;
}

async function deploy(
  mode: Mode,
  infra: { mongoUrl: string; redisUrl: string; amqpUrl: string },
  jwksUrl: string,
  mint: (userId: string) => Promise<string>,
): Promise<{ deployment: Deployment; processes: ServiceProcess[]; database: string }> {
  const id = `bench_fanout_${mode.replace('-', '_')}_${randomBytes(3).toString('hex')}`;
  const exchange = `${id}.events`;
  const mongoUrl = new URL(infra.mongoUrl);
  mongoUrl.pathname = `/${id}`;
  // Stands in for auth's revocation list, which services need to accept tokens.
  await markRevocationListComplete({ redisUrl: infra.redisUrl, redisPrefix: `${id}:` });
  const message = await startServiceProcess(messageEntry, {
    MONGO_URL: mongoUrl.toString(),
    AMQP_URL: infra.amqpUrl,
    REDIS_URL: infra.redisUrl,
    REDIS_PREFIX: `${id}:`,
    BROKER_EXCHANGE: exchange,
    QUEUE_PREFIX: `${id}.message`,
    JWKS_URL: jwksUrl,
    SEND_RATE: '1000000',
    SEND_BURST: '1000000',
  });
  const gateways = await Promise.all(
    [1, 2].map((n) =>
      startServiceProcess(gatewayEntry, {
        REPLICA_ID: `${id}-${n}`,
        FANOUT: mode,
        REDIS_URL: infra.redisUrl,
        REDIS_PREFIX: `${id}:`,
        ADAPTER_CHANNEL_PREFIX: `${id}:sio`,
        AMQP_URL: infra.amqpUrl,
        BROKER_EXCHANGE: exchange,
        QUEUE_PREFIX: `${id}.gateway`,
        MESSAGE_URL: message.url,
        JWKS_URL: jwksUrl,
      }),
    ),
  );
  const deployment: Deployment = {
    mode,
    exchange,
    gateways,
    sockets: [],
    groups: [],
    received: [],
    receipts: new Map(),
  };
  const userIds = Array.from({ length: users }, () => randomBytes(12).toString('hex'));
  for (let g = 0; g < users / groupSize; g++)
    deployment.groups.push(userIds.slice(g * groupSize, (g + 1) * groupSize));
  for (const [i, userId] of userIds.entries()) {
    const socket: Socket<ServerToClientEvents> = connectClient((gateways[i % 2] as ServiceProcess).url, {
      auth: { token: await mint(userId) },
      transports: ['websocket'],
      forceNew: true,
    });
    socket.on('message:received', ({ message }: { message: Message }) => {
      deployment.received.push(Date.now() - Date.parse(message.createdAt));
      const mine = deployment.receipts.get(userId) ?? new Map<string, number>();
      mine.set(message.id, (mine.get(message.id) ?? 0) + 1);
      deployment.receipts.set(userId, mine);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    deployment.sockets.push(socket);
  }
  return { deployment, processes: [message, ...gateways], database: id };
}

/** Publishes `rate` message.created events per second for `seconds`; returns what arrived. */
async function run(deployment: Deployment, channel: amqp.ConfirmChannel, rate: number) {
  deployment.received = [];
  deployment.receipts.clear();
  const published: { id: string; memberIds: string[] }[] = [];
  const cpuBefore = await Promise.all(deployment.gateways.map((g) => cpuSeconds(g.child.pid as number)));
  const total = rate * seconds;
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const memberIds = deployment.groups[i % deployment.groups.length] as string[];
    const now = new Date().toISOString();
    const message: Message = {
      id: randomBytes(12).toString('hex'),
      conversationId: randomBytes(12).toString('hex'),
      seq: i + 1,
      senderId: memberIds[0] as string,
      clientMessageId: `b${i}`,
      kind: 'text',
      body: 'benchmark message',
      attachments: [],
      createdAt: now,
      editedAt: null,
      deletedAt: null,
      mentions: [],
      reactions: [],
    };
    published.push({ id: message.id, memberIds });
    const envelope = {
      id: randomUUID(),
      type: 'message.created',
      version: 1,
      occurredAt: now,
      data: { message, memberIds },
    };
    channel.publish(deployment.exchange, 'message.created', Buffer.from(JSON.stringify(envelope)), {
      persistent: true,
      contentType: 'application/json',
    });
  }
  await channel.waitForConfirms();
  const expected = total * groupSize;
  const deadline = Date.now() + 15_000;
  while (deployment.received.length < expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await new Promise((resolve) => setTimeout(resolve, 300)); // let any duplicate arrive
  const cpuAfter = await Promise.all(deployment.gateways.map((g) => cpuSeconds(g.child.pid as number)));
  const cpu = cpuAfter.reduce((sum, value, i) => sum + value - (cpuBefore[i] as number), 0);
  const latencies = [...deployment.received].sort((a, b) => a - b);
  let lost = 0;
  let doubled = 0;
  for (const { id, memberIds } of published) {
    for (const userId of memberIds) {
      const count = deployment.receipts.get(userId)?.get(id) ?? 0;
      if (count === 0) lost++;
      doubled += Math.max(0, count - 1);
    }
  }
  if (latencies.length !== expected - lost + doubled) {
    console.warn(
      `${deployment.mode}: ${latencies.length - (expected - lost + doubled)} deliveries of events from elsewhere`,
    );
  }
  return {
    expected,
    lost,
    doubled,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpuMsPerThousand: (cpu * 1000 * 1000) / total,
  };
}

async function main() {
  const { infra, stop } = await provisionInfrastructure();
  const issuer = createTestTokenIssuer();
  const jwks = await issuer.serve();
  const mint = async (userId: string) => (await issuer.mint({ userId, expiresInSeconds: 3600 })).token;
  const connection = await amqp.connect(infra.amqpUrl);
  const channel = await connection.createConfirmChannel();
  const deployed: Awaited<ReturnType<typeof deploy>>[] = [];
  try {
    for (const mode of modes) deployed.push(await deploy(mode, infra, jwks.url, mint));
    console.log(`${users} sockets per design connected; measuring`);
    const rows: string[] = [];
    for (const rate of rates) {
      const results = deployed.map(() => [] as Awaited<ReturnType<typeof run>>[]);
      for (let r = 0; r < repeats; r++) {
        const order = r % 2 ? [1, 0] : [0, 1];
        for (const d of order) {
          results[d]?.push(await run((deployed[d] as (typeof deployed)[number]).deployment, channel, rate));
        }
      }
      const cells = results.map((runs) => ({
        lost: runs.reduce((sum, x) => sum + x.lost, 0),
        doubled: runs.reduce((sum, x) => sum + x.doubled, 0),
        p50: median(runs.map((x) => x.p50)),
        p99: median(runs.map((x) => x.p99)),
        cpu: median(runs.map((x) => x.cpuMsPerThousand)),
      }));
      const [local, shared] = cells as [(typeof cells)[number], (typeof cells)[number]];
      rows.push(
        `| ${rate} | ${rate * groupSize} | ${local.p50.toFixed(1)} | ${local.p99.toFixed(1)} | ${local.cpu.toFixed(0)} | ${local.lost}/${local.doubled} | ${shared.p50.toFixed(1)} | ${shared.p99.toFixed(1)} | ${shared.cpu.toFixed(0)} | ${shared.lost}/${shared.doubled} | ${(shared.cpu / local.cpu).toFixed(2)}× |`,
      );
      console.log(rows.at(-1));
    }
    const path = await writeBenchmarkReport('fanout', {
      title: 'Gateway fan-out: a queue per replica versus a shared queue with adapter broadcast',
      command: `BENCH_RATES=${rates.join(',')} BENCH_SECONDS=${seconds} BENCH_REPEATS=${repeats} pnpm bench:fanout`,
      setup: [
        `Infrastructure: ${infra.source}; Redis ${'≥'} 7 with the sharded adapter; RabbitMQ on the same machine.`,
        `Per design: 2 gateway processes, ${users} sockets (one per user, alternating replicas), ${users / groupSize} groups of ${groupSize}; events published straight onto the exchange, open loop.`,
        "Latency: from the event's createdAt to the socket handler in the benchmark process. CPU: both gateways, user + system, per 1,000 events.",
        'Cells are medians of the repeats; "lost/doubled" counts (message, member) deliveries that never arrived / arrived more than once, over all repeats.',
      ],
      body: [
        '| events/s | deliveries/s | replica-queue p50 ms | p99 ms | CPU ms/1k | lost/doubled | shared-queue p50 ms | p99 ms | CPU ms/1k | lost/doubled | CPU shared ÷ replica |',
        '|---|---|---|---|---|---|---|---|---|---|---|',
        ...rows,
      ],
    });
    console.log(`\nwritten to ${path}`);
  } finally {
    for (const { deployment, processes, database } of deployed) {
      for (const socket of deployment.sockets) socket.disconnect();
      for (const service of processes) await service.stop();
      const mongoUrl = new URL(infra.mongoUrl);
      mongoUrl.pathname = `/${database}`;
      const mongo = await mongoose.createConnection(mongoUrl.toString()).asPromise();
      await mongo.dropDatabase();
      await mongo.close();
    }
    await connection.close();
    await jwks.close();
    await stop();
  }
}

await main();
