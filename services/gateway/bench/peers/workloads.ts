/**
 * The three workloads of `pnpm bench:peers`, the same for every system: idle sockets, a
 * message stream into a group, direct messages at fixed rates. CPU and memory come from
 * /proc for the server processes named by the system (never Redis, RabbitMQ or the store,
 * which the systems share or do not have) and, apart, for the load generator's workers.
 */
import { loadavg } from 'node:os';
import { cpuSeconds, percentile, processMemory } from '@palaver/testing/process-tools';
import type { LoadGenerator } from './load-generator.ts';
import type { Sender, System } from './systems.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const cpuOf = async (pids: number[]) => sum(await Promise.all(pids.map(cpuSeconds)));
const rssOf = async (pids: number[]) => sum(await Promise.all(pids.map((pid) => processMemory(pid))));

export interface IdleResult {
  system: string;
  connected: number;
  refused: number;
  perSecond: number;
  kbPerSocket: number;
  rssMB: number;
  /** CPU-seconds per 1,000 connects: the servers', and their helpers' (Palaver: the message service). */
  cpuPer1000: number;
  helperCpuPer1000: number;
  generatorCpu: number;
  /** The machine's 1-minute load average when the system's run began (2 cores: above 2 is contention). */
  load: number;
}

/** Connects `count` clients over the system's replicas; RSS growth after `settleSeconds` idle. */
export async function idleSockets(
  system: System,
  generator: LoadGenerator,
  count: number,
  settleSeconds: number,
): Promise<IdleResult> {
  const load = loadavg()[0] ?? 0;
  const targets = await system.targets(count);
  const rssBefore = await rssOf(system.serverPids);
  const before = await Promise.all([system.serverPids, system.helperPids, generator.pids].map(cpuOf));
  const { ok, refused, seconds } = await generator.connect(system.protocol, targets);
  const after = await Promise.all([system.serverPids, system.helperPids, generator.pids].map(cpuOf));
  const [server = 0, helper = 0, generatorUsed = 0] = after.map((cpu, i) => cpu - (before[i] as number));
  // Long enough for V8's memory reducer (and Go's scavenger) to return connect-time garbage.
  await sleep(settleSeconds * 1000);
  const rssAfter = await rssOf(system.serverPids);
  return {
    system: system.name,
    connected: ok,
    refused,
    perSecond: ok / seconds,
    kbPerSocket: (rssAfter - rssBefore) / ok / 1024,
    rssMB: rssAfter / 2 ** 20,
    cpuPer1000: (server / Math.max(1, ok)) * 1000,
    helperCpuPer1000: (helper / Math.max(1, ok)) * 1000,
    generatorCpu: generatorUsed / seconds,
    load,
  };
}

export interface StreamResult {
  label: string;
  rate: number;
  sent: number;
  delivered: number;
  expected: number;
  perSecond: number;
  p50: number;
  p99: number;
  ackP50: number;
  ackP99: number;
  errors: number;
  /** Server CPU-seconds per 1,000 deliveries. */
  cpuPer1000: number;
  /** Share of one core over the stream: the servers', the load generator's. */
  serverCpu: number;
  /** Share of one core used by the shared Redis/RabbitMQ it goes through (other work included). */
  infraCpu: number;
  generatorCpu: number;
}

/**
 * Waits until nothing stamped has arrived for a second (at most 30 s): a stream that
 * overloaded the system leaves a backlog, which must not be counted in the next one.
 */
async function quiet(generator: LoadGenerator) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const { latencies } = await generator.collect();
    if (latencies.length === 0) {
      await sleep(1000);
      if ((await generator.collect()).latencies.length === 0) return;
    }
    await sleep(200);
  }
}

/**
 * `rate` messages/s for `seconds` through `sender`, each due at `perMessage` recording
 * clients; waits up to `drainSeconds` after the last send for what is still on its way.
 */
export async function stream(
  generator: LoadGenerator,
  sender: Sender,
  options: { rate: number; seconds: number; perMessage: number; drainSeconds: number },
): Promise<StreamResult> {
  await quiet(generator);
  const count = Math.round(options.rate * options.seconds);
  const expected = count * options.perMessage;
  const serverBefore = await cpuOf(sender.serverPids);
  const infraBefore = await cpuOf(sender.infraPids);
  const generatorBefore = await cpuOf(generator.pids);
  const t0 = performance.now();
  const startAt = performance.timeOrigin + t0;
  const { acked, errors, firstError } = await sender.run(count, options.rate);
  if (firstError)
    console.warn(`${sender.label} at ${options.rate}/s: ${errors} failed, first: ${firstError}`);
  let latencies: number[] = [];
  let lastAt = startAt;
  const deadline = Date.now() + options.drainSeconds * 1000;
  for (;;) {
    const collected = await generator.collect();
    latencies = latencies.concat(collected.latencies);
    lastAt = Math.max(lastAt, collected.lastAt);
    if (latencies.length >= expected || Date.now() > deadline) break;
    await sleep(100);
  }
  const wall = (performance.now() - t0) / 1000;
  const serverCpu = (await cpuOf(sender.serverPids)) - serverBefore;
  const infraCpu = (await cpuOf(sender.infraPids)) - infraBefore;
  const generatorCpu = (await cpuOf(generator.pids)) - generatorBefore;
  latencies.sort((a, b) => a - b);
  acked.sort((a, b) => a - b);
  return {
    label: sender.label,
    rate: options.rate,
    sent: count,
    delivered: latencies.length,
    expected,
    perSecond: latencies.length / Math.max(0.001, (lastAt - startAt) / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    ackP50: percentile(acked, 50),
    ackP99: percentile(acked, 99),
    errors,
    cpuPer1000: latencies.length ? (serverCpu / latencies.length) * 1000 : Number.NaN,
    serverCpu: serverCpu / wall,
    infraCpu: infraCpu / wall,
    generatorCpu: generatorCpu / wall,
  };
}
