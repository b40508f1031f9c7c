/**
 * pnpm bench:peers — Palaver's realtime tier beside Centrifugo and a bare Socket.IO server,
 * on this machine, in one run, with the same lean load generator (peers/load-generator.ts:
 * raw websockets in BENCH_CLIENT_WORKERS processes) against all of them. One system runs at
 * a time (the others are stopped), each through three workloads:
 *
 * 1. BENCH_SOCKETS idle sockets over its replicas: connect rate, server RSS per socket.
 * 2. A BENCH_GROUP-member group, one message stream at each of BENCH_GROUP_RATES msg/s for
 *    BENCH_SECONDS: deliveries/s, stamp→client p50/p99, server CPU-s per 1,000 deliveries.
 * 3. Direct messages, sender and recipient on different replicas, at BENCH_DM_RATES msg/s.
 *
 * Palaver has two rows where it matters: gateways only (events published at the broker, as
 * bench:realtime does) and the full path (a socket sends, the message service stores and
 * publishes). BENCH_SYSTEMS picks systems (palaver,socketio,centrifugo-redis,centrifugo-memory);
 * BENCH_REPORT names the results file (default peers).
 */
import { openBenchEnvironment } from '@palaver/testing/bench-environment';
import { tableHead, writeBenchmarkReport } from '@palaver/testing/benchmark-report';
import { deployedGatewayNodeOptions } from './deployment.ts';
import { startLoadGenerator } from './peers/load-generator.ts';
import { palaver } from './peers/palaver-system.ts';
import { bareSocketIo, centrifugo, type System } from './peers/systems.ts';
import { type IdleResult, idleSockets, type StreamResult, stream } from './peers/workloads.ts';

const env = process.env;
const socketCount = Number(env.BENCH_SOCKETS ?? 5000);
const groupSize = Number(env.BENCH_GROUP ?? 1000);
const groupRates = (env.BENCH_GROUP_RATES ?? '10,30,60').split(',').map(Number);
const dmRates = (env.BENCH_DM_RATES ?? '50,100,200').split(',').map(Number);
const seconds = Number(env.BENCH_SECONDS ?? 4);
const settleSeconds = Number(env.BENCH_SETTLE_SECONDS ?? 10);
const workers = Number(env.BENCH_CLIENT_WORKERS ?? 2);
const systemNames = (env.BENCH_SYSTEMS ?? 'palaver,socketio,centrifugo-redis,centrifugo-memory').split(',');
const gatewayNodeOptions = env.BENCH_GATEWAY_NODE_OPTIONS ?? deployedGatewayNodeOptions;
const dmPairs = 20;
/** docs/benchmarks/<name>.md; a scaled-up run can keep the default one (BENCH_REPORT=peers-20k). */
const reportName = env.BENCH_REPORT ?? 'peers';

const f = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '—');
const pct = (share: number) => `${(share * 100).toFixed(0)}%`;
const ratio = (value: number, base: number | undefined) =>
  base && Number.isFinite(value) && Number.isFinite(base) ? `${(value / base).toFixed(2)}×` : '—';

interface Results {
  idle: IdleResult[];
  group: StreamResult[];
  dm: StreamResult[];
}

/** All three workloads on one system; it is stopped before the next starts. */
async function measure(system: System, generator: ReturnType<typeof startLoadGenerator>, results: Results) {
  const idle = await idleSockets(system, generator, socketCount, settleSeconds);
  results.idle.push(idle);
  console.log(idle);
  const members = Array.from({ length: Math.min(groupSize, idle.connected) }, (_, i) => i);
  const groupSenders = await system.group(members);
  await generator.record(members);
  for (const sender of groupSenders)
    for (const rate of groupRates) {
      const result = await stream(generator, sender, {
        rate,
        seconds,
        perMessage: members.length,
        drainSeconds: 15,
      });
      results.group.push(result);
      console.log(
        `group ${result.label} ${rate}/s: ${result.delivered}/${result.expected}, p99 ${f(result.p99)} ms`,
      );
    }
  // Pairs after the group's members: even clients on the first replica, odd on the second.
  const pairs = Array.from({ length: dmPairs }, (_, p): [number, number] => [
    groupSize + 2 * p,
    groupSize + 2 * p + 1,
  ]);
  const dmSenders = await system.directs(pairs);
  await generator.record(pairs.map(([, b]) => b));
  for (const sender of dmSenders)
    for (const rate of dmRates) {
      const result = await stream(generator, sender, { rate, seconds, perMessage: 1, drainSeconds: 10 });
      results.dm.push(result);
      console.log(
        `dm ${result.label} ${rate}/s: ${result.delivered}/${result.expected}, p99 ${f(result.p99)} ms`,
      );
    }
}

function idleTable(idle: IdleResult[]) {
  const base = idle.find((r) => r.system === 'Palaver');
  return [
    ...tableHead(
      '| system | connected | connects/s | × Palaver | server CPU-s per 1,000 connects | + message service | server RSS per idle socket KB | × Palaver | server RSS after MB | load generator CPU while connecting | load average at start |',
    ),
    ...idle.map(
      (r) =>
        `| ${r.system} | ${r.connected}${r.refused ? ` (${r.refused} failed)` : ''} | ${f(r.perSecond, 0)} | ${ratio(r.perSecond, base?.perSecond)} | ${f(r.cpuPer1000, 2)} | ${r.helperCpuPer1000 ? f(r.helperCpuPer1000, 2) : '—'} | ${f(r.kbPerSocket)} | ${ratio(r.kbPerSocket, base?.kbPerSocket)} | ${f(r.rssMB, 0)} | ${pct(r.generatorCpu)} | ${f(r.load)} |`,
    ),
  ];
}

/** The row every ratio is taken against: Palaver's gateways alone at the same rate. */
const baseline = (rows: StreamResult[], rate: number) =>
  rows.find((r) => r.label === 'Palaver, gateways only' && r.rate === rate);

/** A column of a stream table: its heading, and its cell for a row (given all rows, for ratios). */
type Column = [heading: string, cell: (r: StreamResult, rows: StreamResult[]) => string];

function streamTable(rows: StreamResult[], columns: Column[]) {
  return [
    ...tableHead(`| ${columns.map(([heading]) => heading).join(' | ')} |`),
    ...rows.map((r) => `| ${columns.map(([, cell]) => cell(r, rows)).join(' | ')} |`),
  ];
}

const sharedColumns: Column[] = [
  ['server CPU', (r) => pct(r.serverCpu)],
  ['shared Redis + RabbitMQ CPU', (r) => pct(r.infraCpu)],
  ['load generator CPU', (r) => pct(r.generatorCpu)],
];

const groupTable = (group: StreamResult[]) =>
  streamTable(group, [
    ['system', (r) => r.label],
    ['offered msg/s', (r) => String(r.rate)],
    ['delivered', (r) => `${r.delivered}/${r.expected}`],
    ['deliveries/s', (r) => f(r.perSecond, 0)],
    ['p50 ms', (r) => f(r.p50)],
    ['p99 ms', (r) => f(r.p99)],
    ['server CPU-s per 1,000 deliveries', (r) => f(r.cpuPer1000, 3)],
    ['× Palaver gateways', (r, rows) => ratio(r.cpuPer1000, baseline(rows, r.rate)?.cpuPer1000)],
    ...sharedColumns,
  ]);

/** Per row: the most deliveries/s it reached with p99 ≤ 100 ms, and CPU per 1,000 there. */
function groupSummary(group: StreamResult[]) {
  const labels = [...new Set(group.map((r) => r.label))];
  return [
    ...tableHead(
      '| system | best deliveries/s with p99 ≤ 100 ms (all delivered) | at offered msg/s | server CPU-s per 1,000 |',
    ),
    ...labels.map((label) => {
      const ok = group
        .filter((r) => r.label === label && r.p99 <= 100 && r.delivered === r.expected)
        .sort((a, b) => b.perSecond - a.perSecond)[0];
      return ok
        ? `| ${label} | ${f(ok.perSecond, 0)} | ${ok.rate} | ${f(ok.cpuPer1000, 3)} |`
        : `| ${label} | none of the rates | — | — |`;
    }),
  ];
}

const dmTable = (dm: StreamResult[]) =>
  streamTable(dm, [
    ['system', (r) => r.label],
    ['offered msg/s', (r) => String(r.rate)],
    ['received', (r) => `${r.delivered}/${r.expected}`],
    ['send→received p50 ms', (r) => f(r.p50)],
    ['p99 ms', (r) => f(r.p99)],
    ['p99 × Palaver gateways', (r, rows) => ratio(r.p99, baseline(rows, r.rate)?.p99)],
    ['send→ack p50 ms', (r) => f(r.ackP50)],
    ['ack p99 ms', (r) => f(r.ackP99)],
    ['errors', (r) => String(r.errors)],
    ...sharedColumns,
  ]);

async function main() {
  const bench = await openBenchEnvironment();
  const generator = startLoadGenerator(workers);
  bench.onClose(() => generator.close());
  const results: Results = { idle: [], group: [], dm: [] };
  const start: Record<string, () => Promise<System>> = {
    palaver: () => palaver(bench, generator, gatewayNodeOptions),
    socketio: () => bareSocketIo(bench, generator),
    'centrifugo-redis': () => centrifugo(bench, generator, 'redis'),
    'centrifugo-memory': () => centrifugo(bench, generator, 'memory'),
  };
  try {
    for (const name of systemNames) {
      const startSystem = start[name];
      if (!startSystem) throw new Error(`BENCH_SYSTEMS: unknown system ${name}`);
      const system = await startSystem();
      try {
        await measure(system, generator, results);
      } finally {
        await generator.disconnect();
        await system.stop();
      }
    }
    const body = [
      `## Idle sockets (${socketCount})`,
      '',
      ...idleTable(results.idle),
      '',
      `## Group fan-out (${groupSize} members over the replicas, one sender, ${seconds} s per rate)`,
      '',
      ...groupTable(results.group),
      '',
      ...groupSummary(results.group),
      '',
      `## Direct messages (${dmPairs} pairs, sender and recipient on different replicas, ${seconds} s per rate)`,
      '',
      ...dmTable(results.dm),
    ];
    console.log(`\n${body.join('\n')}`);
    await writeBenchmarkReport(reportName, {
      title: 'Peers: Palaver beside Centrifugo and a bare Socket.IO server',
      command: `BENCH_SOCKETS=${socketCount} BENCH_GROUP=${groupSize} BENCH_GROUP_RATES=${groupRates.join(',')} BENCH_DM_RATES=${dmRates.join(',')} BENCH_SECONDS=${seconds} BENCH_CLIENT_WORKERS=${workers} BENCH_SYSTEMS=${systemNames.join(',')}${reportName === 'peers' ? '' : ` BENCH_REPORT=${reportName}`} pnpm bench:peers`,
      setup: [
        `Infrastructure: ${bench.infra.source}; one system at a time on this 2-core machine (shared with other work: figures are noisy, compare ratios within this file). Palaver: a message service and two gateways (FANOUT=replica-queue, NODE_OPTIONS=${gatewayNodeOptions}); bare Socket.IO: two replicas of bench/peers/socketio-server.ts on the sharded Redis adapter; Centrifugo: two nodes on the Redis engine, and one node on the memory engine (which cannot share channels between nodes). Redis, RabbitMQ and the store are the project's, shared.`,
        `Clients: the lean load generator, ${workers} worker processes of raw websockets (ws) speaking Engine.IO v4 / Socket.IO v5 or Centrifugo's JSON protocol; client i on replica i % replicas. Every message carries its send time; latency is send → frame read by the receiving client (for Palaver gateways only: publish at the broker → frame).`,
        "Server CPU and RSS: from /proc for the system's own processes (Palaver gateways only: the gateways; full path: gateways + message service); Redis, RabbitMQ and the store are not counted. RSS per socket: growth over the connects after the settle time, divided by the sockets.",
      ],
      body,
    });
  } finally {
    await bench.close();
  }
}

await main();
