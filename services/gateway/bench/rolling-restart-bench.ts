/**
 * pnpm bench:rolling — every gateway replaced, one at a time, while BENCH_CLIENTS people
 * chat (issue: rolling restart under load). The stack is a message service and two gateway
 * replicas; the clients (socket.io-client, in BENCH_CLIENT_WORKERS processes, see
 * rolling/chat-worker.ts) are people in direct chats sending BENCH_RATE messages a second
 * in all, each retried until acknowledged.
 *
 * Each replica in turn is replaced as a Kubernetes rolling update with a surge of one does
 * it: a new replica starts and becomes ready, new connections go to the live ones (the
 * edge's job, done here by the clients' choice of URL), the old one gets SIGTERM and drains
 * (DRAIN_TIMEOUT: its clients' transports closed over the first half, then its presence
 * entries dropped). Afterwards every client syncs and the run reports what was lost or
 * duplicated (acknowledged sends against what each member holds, seq by seq), presence
 * flaps (a partner who never left shown offline), and the reconnect storm.
 */
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { openBenchEnvironment } from '@palaver/testing/bench-environment';
import { median, tableHead, writeBenchmarkReport } from '@palaver/testing/benchmark-report';
import { cpuSeconds, percentile } from '@palaver/testing/process-tools';
import { cpuProfileOptions, deployedGatewayNodeOptions, deployStack } from './deployment.ts';
import type { ChatPerson } from './rolling/chat-client.ts';
import type { ChatCommand, WorkerReport } from './rolling/chat-worker.ts';
import { forkWorkers } from './worker-processes.ts';

const env = process.env;
const clientCount = Number(env.BENCH_CLIENTS ?? 5000);
const rate = Number(env.BENCH_RATE ?? 50);
const workerCount = Number(env.BENCH_CLIENT_WORKERS ?? 2);
const steadySeconds = Number(env.BENCH_STEADY_SECONDS ?? 10);
const drainSeconds = Number(env.BENCH_DRAIN_TIMEOUT ?? 10);
/** After each replacement, before the next: clients settle on their new replicas. */
const settleSeconds = Number(env.BENCH_SETTLE_SECONDS ?? 5);
const connectConcurrency = 25;
/** docs/benchmarks/<name>.md (default rolling-restart). */
const reportName = env.BENCH_REPORT ?? 'rolling-restart';
const workerEntry = fileURLToPath(new URL('./rolling/chat-worker.ts', import.meta.url));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const f = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '—');
const sorted = (values: number[]) => [...values].sort((a, b) => a - b);

async function main() {
  const loadAtStart = loadavg()[0] ?? 0;
  const bench = await openBenchEnvironment();
  const workers = forkWorkers<ChatCommand>(workerEntry, workerCount, { type: 'close' });
  bench.onClose(workers.close);
  const eachWorker = <T>(command: (w: number) => ChatCommand) =>
    Promise.all(workers.calls.map((call, w) => call<T>(command(w))));
  try {
    // BENCH_PROFILE=dir: every gateway and the message service write a V8 CPU profile there as they stop.
    const profile = cpuProfileOptions();
    const profiling: Record<string, string> = profile ? { NODE_OPTIONS: profile } : {};
    const gatewayOptions = { NODE_OPTIONS: `${deployedGatewayNodeOptions} ${profile}`.trim() };
    const stack = await deployStack(bench, 'rolling', {
      message: { SEND_RATE: '100000', SEND_BURST: '100000', ...profiling },
      gateway: { DRAIN_TIMEOUT: `${drainSeconds}s`, ...gatewayOptions },
    });
    const people = await pairUp(bench, stack.message.url);
    const live = stack.gateways.map((gateway) => gateway.url);
    // Both members of a chat in one worker, which checks their conversation by itself.
    const share = (w: number) => people.filter((_, i) => Math.floor(i / 2) % workerCount === w);
    const connectStarted = performance.now();
    await eachWorker((w) => ({
      type: 'connect',
      people: share(w),
      urls: live,
      concurrency: connectConcurrency,
    }));
    const connectsPerSecond = clientCount / ((performance.now() - connectStarted) / 1000);
    console.log(`${clientCount} clients connected, ${f(connectsPerSecond, 0)}/s; chatting at ${rate}/s`);

    // The message service's CPU over each phase: what the reconnect storm costs it.
    const messageCpu = () => cpuSeconds(stack.message.child.pid as number);
    const cpuMarks = [{ at: Date.now(), cpu: await messageCpu() }];
    await eachWorker(() => ({ type: 'chat', rate: rate / workerCount }));
    await sleep(steadySeconds * 1000);
    const rollStarted = Date.now();
    cpuMarks.push({ at: rollStarted, cpu: await messageCpu() });
    const replacements: Array<{ drainSeconds: number; startSeconds: number }> = [];
    for (const [n, old] of stack.gateways.entries()) {
      const startedAt = performance.now();
      const replacement = await stack.startGateway(`${n + 1}b`);
      const startSeconds = (performance.now() - startedAt) / 1000;
      live.splice(live.indexOf(old.url), 1, replacement.url);
      await eachWorker(() => ({ type: 'urls', urls: live }));
      const drainStarted = performance.now();
      await old.stop('SIGTERM');
      replacements.push({ drainSeconds: (performance.now() - drainStarted) / 1000, startSeconds });
      console.log(`replica ${n + 1} replaced: drained in ${f(replacements.at(-1)?.drainSeconds ?? 0)} s`);
      await sleep(settleSeconds * 1000);
    }
    const rollEnded = Date.now();
    cpuMarks.push({ at: rollEnded, cpu: await messageCpu() });
    await sleep(steadySeconds * 1000);
    cpuMarks.push({ at: Date.now(), cpu: await messageCpu() });
    await eachWorker(() => ({ type: 'quiet' }));
    const reports = await eachWorker<WorkerReport>(() => ({ type: 'report' }));
    const body = reportBody(merge(reports), {
      rollStarted,
      rollEnded,
      replacements,
      connectsPerSecond,
      messageCpuShares: cpuMarks.slice(1).map((mark, i) => {
        const start = cpuMarks[i] as (typeof cpuMarks)[0];
        return (mark.cpu - start.cpu) / ((mark.at - start.at) / 1000);
      }),
    });
    console.log(`\n${body.join('\n')}`);
    await writeBenchmarkReport(reportName, {
      title: 'Rolling restart under load',
      command: `BENCH_CLIENTS=${clientCount} BENCH_RATE=${rate} BENCH_DRAIN_TIMEOUT=${drainSeconds} BENCH_CLIENT_WORKERS=${workerCount}${reportName === 'rolling-restart' ? '' : ` BENCH_REPORT=${reportName}`} pnpm bench:rolling`,
      setup: [
        `Infrastructure: ${bench.infra.source}; a message service and two gateway replicas (FANOUT=replica-queue, DRAIN_TIMEOUT=${drainSeconds} s), each its own process; load average at the start ${f(loadAtStart)} (2 cores, shared with the clients, Redis, RabbitMQ and the store).`,
        `Clients: ${clientCount} people in ${clientCount / 2} direct chats, on socket.io-client in ${workerCount} processes, reconnecting as the web client does (500 ms ± 50%, doubling to 5 s) to a live replica, syncing on reconnect and on a gap; ${rate} sends a second in all from random people, each retried with its clientMessageId until acknowledged as the web client's outbox does (on the next connect, or after 1 s doubling to 30 s, half random, when refused for now).`,
        `Sequence: ${steadySeconds} s of chat, then each replica in turn: a new one started and ready, new connections to the live ones only, SIGTERM to the old one (drain), ${settleSeconds} s; then ${steadySeconds} s of chat, a last sync by everyone, and the check.`,
      ],
      body,
    });
  } finally {
    await bench.close();
  }
}

/** BENCH_CLIENTS people, two by two in a direct conversation. */
async function pairUp(bench: Awaited<ReturnType<typeof openBenchEnvironment>>, messageUrl: string) {
  const users = await Promise.all(
    Array.from({ length: clientCount }, () => bench.issuer.mint({ expiresInSeconds: 7200 })),
  );
  const people: ChatPerson[] = [];
  for (let i = 0; i + 1 < users.length; i += 32) {
    const batch = Array.from({ length: Math.min(16, (users.length - i) >> 1) }, (_, k) => i + 2 * k);
    const pairs = await Promise.all(
      batch.map(async (a) => {
        const [first, second] = [users[a], users[a + 1]] as [(typeof users)[0], (typeof users)[0]];
        const response = await fetch(`${messageUrl}/conversations`, {
          method: 'POST',
          headers: { authorization: `Bearer ${first.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ type: 'direct', userId: second.id }),
        });
        if (!response.ok) throw new Error(`create chat: ${response.status} ${await response.text()}`);
        const { id } = (await response.json()) as { id: string };
        return [
          { userId: first.id, token: first.token, partnerId: second.id, conversationId: id },
          { userId: second.id, token: second.token, partnerId: first.id, conversationId: id },
        ];
      }),
    );
    people.push(...pairs.flat());
  }
  return people;
}

function merge(reports: WorkerReport[]): WorkerReport {
  const sum = (key: keyof WorkerReport) => reports.reduce((total, r) => total + (r[key] as number), 0);
  const tally = (pick: (report: WorkerReport) => Record<string, number>) => {
    const total: Record<string, number> = {};
    for (const report of reports)
      for (const [code, n] of Object.entries(pick(report))) total[code] = (total[code] ?? 0) + n;
    return total;
  };
  return {
    sent: sum('sent'),
    acked: sum('acked'),
    unacked: sum('unacked'),
    lost: sum('lost'),
    duplicated: sum('duplicated'),
    gaps: sum('gaps'),
    flaps: sum('flaps'),
    sends: reports.flatMap((r) => r.sends),
    reconnects: reports.flatMap((r) => r.reconnects),
    refusals: tally((r) => r.refusals),
    sendFailures: tally((r) => r.sendFailures),
    receivedLive: sum('receivedLive'),
    recoveredBySync: sum('recoveredBySync'),
  };
}

function reportBody(
  all: WorkerReport,
  run: {
    rollStarted: number;
    rollEnded: number;
    /** The message service's share of a core before, during and after the roll. */
    messageCpuShares: number[];
    replacements: Array<{ drainSeconds: number; startSeconds: number }>;
    connectsPerSecond: number;
  },
) {
  const phases = [
    { when: 'before the roll', from: 0, to: run.rollStarted },
    { when: 'during the roll', from: run.rollStarted, to: run.rollEnded },
    { when: 'after the roll', from: run.rollEnded, to: Number.POSITIVE_INFINITY },
  ];
  const ackRows = phases.map(({ when, from, to }, i) => {
    const sends = all.sends.filter((s) => s.sentAt >= from && s.sentAt < to);
    const ms = sorted(sends.map((s) => s.ackedAt - s.sentAt));
    const retried = sends.filter((s) => s.attempts > 1).length;
    const cpu = run.messageCpuShares[i] ?? Number.NaN;
    return `| ${when} | ${ms.length} | ${f(median(ms), 0)} | ${f(percentile(ms, 99), 0)} | ${f(ms.at(-1) ?? Number.NaN, 0)} | ${retried} | ${f(cpu * 100, 0)}% |`;
  });
  const reconnectMs = sorted(all.reconnects.map((r) => r.ms));
  const perSecond = new Map<number, number>();
  for (const r of all.reconnects)
    perSecond.set(Math.floor(r.at / 1000), (perSecond.get(Math.floor(r.at / 1000)) ?? 0) + 1);
  const listed = (tally: Record<string, number>) =>
    Object.entries(tally)
      .map(([code, n]) => `${code} ${n}`)
      .join(', ') || 'none';
  return [
    '## Outcome',
    '',
    ...tableHead(
      '| clients | sends | acknowledged | never acknowledged | lost | duplicated | seq gaps | presence flaps | received live | recovered by sync |',
    ),
    `| ${clientCount} | ${all.sent} | ${all.acked} | ${all.unacked} | ${all.lost} | ${all.duplicated} | ${all.gaps} | ${all.flaps} | ${all.receivedLive} | ${all.recoveredBySync} |`,
    '',
    '## Reconnect storm',
    '',
    ...tableHead('| replica | new one ready in s | drain (SIGTERM → exit) s |'),
    ...run.replacements.map((r, i) => `| ${i + 1} | ${f(r.startSeconds)} | ${f(r.drainSeconds)} |`),
    '',
    ...tableHead(
      '| reconnects | p50 s | p99 s | max s | peak reconnects/s | attempts p99 | refused or failed attempts | first connects/s (for scale) |',
    ),
    `| ${all.reconnects.length} | ${f(median(reconnectMs) / 1000, 2)} | ${f(percentile(reconnectMs, 99) / 1000, 2)} | ${f((reconnectMs.at(-1) ?? Number.NaN) / 1000, 2)} | ${Math.max(0, ...perSecond.values())} | ${percentile(sorted(all.reconnects.map((r) => r.attempts)), 99) ?? '—'} | ${listed(all.refusals)} | ${f(run.connectsPerSecond, 0)} |`,
    '',
    '## Send → acknowledgement',
    '',
    ...tableHead(
      '| when (by send time) | sends | p50 ms | p99 ms | max ms | retried | message service CPU |',
    ),
    ...ackRows,
    '',
    `Attempts not acknowledged (each retried): ${listed(all.sendFailures)}.`,
  ];
}

await main();
