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
import type { Message } from '@palaver/contracts';
import { openBenchEnvironment } from '@palaver/testing/bench-environment';
import { median, tableHead, writeBenchmarkReport } from '@palaver/testing/benchmark-report';
import { cpuSeconds, percentile, type ServiceProcess } from '@palaver/testing/process-tools';
import { objectIdHex, storedMessage } from '@palaver/testing/test-messages';
import amqp from 'amqplib';
import { type Client, connectSocket, deployStack, publishMessageCreated } from './deployment.ts';

const rates = (process.env.BENCH_RATES ?? '200,500,1000').split(',').map(Number);
const seconds = Number(process.env.BENCH_SECONDS ?? 4);
const repeats = Number(process.env.BENCH_REPEATS ?? 3);
const users = 120;
const groupSize = 5;
const modes = ['replica-queue', 'shared-queue'] as const;
type Mode = (typeof modes)[number];

const bench = await openBenchEnvironment();

interface Deployment {
  mode: Mode;
  exchange: string;
  gateways: ServiceProcess[];
  sockets: Client[];
  groups: string[][];
  /** Latency (ms) of every delivery in the current run. */
  received: number[];
  /** Per user: how many times each message id reached their socket in the current run. */
  receipts: Map<string, Map<string, number>>;
}

async function deploy(mode: Mode): Promise<Deployment> {
  const { env, gateways } = await deployStack(bench, `fanout_${mode}`, { gateway: { FANOUT: mode } });
  const deployment: Deployment = {
    mode,
    exchange: env.exchange,
    gateways,
    sockets: [],
    groups: [],
    received: [],
    receipts: new Map(),
  };
  const userIds = Array.from({ length: users }, objectIdHex);
  for (let g = 0; g < users / groupSize; g++)
    deployment.groups.push(userIds.slice(g * groupSize, (g + 1) * groupSize));
  for (const [i, userId] of userIds.entries()) {
    const { token } = await bench.issuer.mint({ userId, expiresInSeconds: 3600 });
    const socket = await connectSocket((gateways[i % 2] as ServiceProcess).url, token);
    socket.on('message:received', ({ message }: { message: Message }) => {
      deployment.received.push(Date.now() - Date.parse(message.createdAt));
      const mine = deployment.receipts.get(userId) ?? new Map<string, number>();
      mine.set(message.id, (mine.get(message.id) ?? 0) + 1);
      deployment.receipts.set(userId, mine);
    });
    deployment.sockets.push(socket);
  }
  return deployment;
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
    const message = storedMessage({
      seq: i + 1,
      senderId: memberIds[0] as string,
      clientMessageId: `b${i}`,
      body: 'benchmark message',
    });
    published.push({ id: message.id, memberIds });
    publishMessageCreated(channel, deployment.exchange, message, memberIds);
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
  const connection = await amqp.connect(bench.infra.amqpUrl);
  bench.onClose(() => connection.close());
  const channel = await connection.createConfirmChannel();
  const deployed: Deployment[] = [];
  try {
    for (const mode of modes) deployed.push(await deploy(mode));
    console.log(`${users} sockets per design connected; measuring`);
    const rows: string[] = [];
    for (const rate of rates) {
      const results = deployed.map(() => [] as Awaited<ReturnType<typeof run>>[]);
      for (let r = 0; r < repeats; r++) {
        const order = r % 2 ? [1, 0] : [0, 1];
        for (const d of order) {
          results[d]?.push(await run(deployed[d] as Deployment, channel, rate));
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
    await writeBenchmarkReport('fanout', {
      title: 'Gateway fan-out: a queue per replica versus a shared queue with adapter broadcast',
      command: `BENCH_RATES=${rates.join(',')} BENCH_SECONDS=${seconds} BENCH_REPEATS=${repeats} pnpm bench:fanout`,
      setup: [
        `Infrastructure: ${bench.infra.source}; Redis ${'≥'} 7 with the sharded adapter; RabbitMQ on the same machine.`,
        `Per design: 2 gateway processes, ${users} sockets (one per user, alternating replicas), ${users / groupSize} groups of ${groupSize}; events published straight onto the exchange, open loop.`,
        "Latency: from the event's createdAt to the socket handler in the benchmark process. CPU: both gateways, user + system, per 1,000 events.",
        'Cells are medians of the repeats; "lost/doubled" counts (message, member) deliveries that never arrived / arrived more than once, over all repeats.',
      ],
      body: [
        ...tableHead(
          '| events/s | deliveries/s | replica-queue p50 ms | p99 ms | CPU ms/1k | lost/doubled | shared-queue p50 ms | p99 ms | CPU ms/1k | lost/doubled | CPU shared ÷ replica |',
        ),
        ...rows,
      ],
    });
  } finally {
    for (const deployment of deployed) for (const socket of deployment.sockets) socket.disconnect();
  }
}

await main().finally(bench.close);
