/**
 * pnpm bench:heartbeat — how long a silently dead network keeps a user "online" for their
 * contacts, and what the Socket.IO heartbeat costs, for each SOCKET_PING_INTERVAL /
 * SOCKET_PING_TIMEOUT pair in BENCH_HEARTBEATS (default: the gateway's 10s/5s and
 * Socket.IO's own 25s/20s).
 *
 * Per pair, on a fresh stack (message service, two gateways):
 * 1. Silent loss: a watcher on replica 1 shares a direct chat with each of BENCH_SUBJECTS
 *    users, who connect to replica 2 through a relay (test/silent-proxy.ts), spread over one
 *    ping interval so their heartbeat phases differ. The relay stops forwarding without
 *    closing anything; the watcher's clock runs until `user:status` offline arrives.
 * 2. Cost: BENCH_IDLE_SOCKETS idle sockets over both replicas for BENCH_IDLE_SECONDS; the
 *    replicas' CPU (from /proc) per 1,000 sockets.
 */
import { openBenchEnvironment } from '@palaver/testing/bench-environment';
import { median, tableHead, writeBenchmarkReport } from '@palaver/testing/benchmark-report';
import { cpuSeconds } from '@palaver/testing/process-tools';
import { startSilentProxy } from '../test/silent-proxy.ts';
import { type Client, connectSocket, deployStack } from './deployment.ts';

const heartbeats = (process.env.BENCH_HEARTBEATS ?? '10s/5s,25s/20s').split(',').map((pair) => {
  const [interval, timeout] = pair.split('/').map((s) => Number.parseInt(s, 10)) as [number, number];
  return { interval, timeout };
});
const subjects = Number(process.env.BENCH_SUBJECTS ?? 10);
const idleSockets = Number(process.env.BENCH_IDLE_SOCKETS ?? 2000);
const idleSeconds = Number(process.env.BENCH_IDLE_SECONDS ?? 30);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Bench = Awaited<ReturnType<typeof openBenchEnvironment>>;

/** Seconds from the cut until the watcher saw each subject offline (Infinity if never). */
async function silentLoss(bench: Bench, label: string, heartbeat: { interval: number; timeout: number }) {
  const { message, gateways } = await deployStack(bench, label, {
    gateway: {
      SOCKET_PING_INTERVAL: `${heartbeat.interval}s`,
      SOCKET_PING_TIMEOUT: `${heartbeat.timeout}s`,
    },
  });
  const [first, second] = gateways as [(typeof gateways)[0], (typeof gateways)[0]];
  const proxy = await startSilentProxy(second.url);
  const sockets: Client[] = [];
  try {
    const watcher = await bench.issuer.mint({ expiresInSeconds: 3600 });
    const people = await Promise.all(
      Array.from({ length: subjects }, () => bench.issuer.mint({ expiresInSeconds: 3600 })),
    );
    for (const person of people) {
      const response = await fetch(`${message.url}/conversations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${watcher.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'direct', userId: person.id }),
      });
      if (!response.ok) throw new Error(`direct chat: ${response.status}`);
    }
    const watching = await connectSocket(first.url, watcher.token);
    sockets.push(watching);
    const online = new Set<string>();
    const offlineAt = new Map<string, number>();
    watching.on('user:status', ({ userId, status }) => {
      if (status === 'online') online.add(userId);
      else if (online.has(userId) && !offlineAt.has(userId)) offlineAt.set(userId, performance.now());
    });
    // Spread over one interval: each socket's ping timer starts at its handshake.
    for (const person of people) {
      sockets.push(await connectSocket(proxy.url, person.token));
      await sleep((heartbeat.interval * 1000) / subjects);
    }
    const deadline = Date.now() + 10_000;
    while (online.size < subjects && Date.now() < deadline) await sleep(50);
    if (online.size < subjects) throw new Error(`only ${online.size}/${subjects} subjects seen online`);
    const cutAt = performance.now();
    proxy.cut();
    const giveUp = Date.now() + (heartbeat.interval + heartbeat.timeout + 15) * 1000;
    while (offlineAt.size < subjects && Date.now() < giveUp) await sleep(100);
    return people.map(({ id }) => ((offlineAt.get(id) ?? Number.POSITIVE_INFINITY) - cutAt) / 1000);
  } finally {
    for (const socket of sockets) socket.disconnect();
    await proxy.close();
    await Promise.all([message, ...gateways].map((service) => service.stop()));
  }
}

/** The replicas' CPU, % of one core per 1,000 idle sockets, over `idleSeconds`. */
async function idleCost(bench: Bench, label: string, heartbeat: { interval: number; timeout: number }) {
  const { message, gateways } = await deployStack(bench, label, {
    gateway: {
      SOCKET_PING_INTERVAL: `${heartbeat.interval}s`,
      SOCKET_PING_TIMEOUT: `${heartbeat.timeout}s`,
    },
  });
  const sockets: Client[] = [];
  try {
    const tokens = await Promise.all(
      Array.from({ length: idleSockets }, () => bench.issuer.mint({ expiresInSeconds: 3600 })),
    );
    for (const [i, { token }] of tokens.entries())
      sockets.push(await connectSocket((gateways[i % 2] as (typeof gateways)[0]).url, token));
    // Let the connect work settle before counting.
    await sleep(5000);
    const cpu = () => Promise.all(gateways.map((g) => cpuSeconds(g.child.pid as number)));
    const before = await cpu();
    await sleep(idleSeconds * 1000);
    const after = await cpu();
    const used = after.reduce((sum, v, i) => sum + v - (before[i] as number), 0);
    return ((used / idleSeconds) * 100 * 1000) / idleSockets;
  } finally {
    for (const socket of sockets) socket.disconnect();
    await Promise.all([message, ...gateways].map((service) => service.stop()));
  }
}

async function main() {
  const bench = await openBenchEnvironment();
  const rows: string[] = [];
  try {
    for (const heartbeat of heartbeats) {
      const name = `${heartbeat.interval}s/${heartbeat.timeout}s`;
      const seconds = (await silentLoss(bench, `heartbeat-${heartbeat.interval}`, heartbeat)).sort(
        (a, b) => a - b,
      );
      const cost = await idleCost(bench, `heartbeat-idle-${heartbeat.interval}`, heartbeat);
      // Per socket and interval: a ping frame out (3 bytes), a masked pong in (7), each in
      // its own TCP segment with 52 bytes of IPv4+TCP headers, plus up to two bare ACKs.
      const bytesPerSecond = [(3 + 7 + 2 * 52) / heartbeat.interval, (3 + 7 + 4 * 52) / heartbeat.interval];
      const lost = seconds.filter((s) => !Number.isFinite(s)).length;
      const seen = seconds.filter(Number.isFinite);
      rows.push(
        `| ${name} | ${heartbeat.timeout}–${heartbeat.interval + heartbeat.timeout} | ${seen.length}/${seconds.length}${lost ? ` (${lost} never)` : ''} | ${seen[0]?.toFixed(1)} | ${median(seen).toFixed(1)} | ${seen.at(-1)?.toFixed(1)} | ${cost.toFixed(2)} | ${bytesPerSecond.map((b) => b.toFixed(0)).join('–')} |`,
      );
      console.log(rows.at(-1));
    }
    await writeBenchmarkReport('heartbeat', {
      title: 'Heartbeat: silent network loss to offline, and what the pings cost',
      command: `BENCH_HEARTBEATS=${heartbeats.map((h) => `${h.interval}s/${h.timeout}s`).join(',')} BENCH_SUBJECTS=${subjects} BENCH_IDLE_SOCKETS=${idleSockets} BENCH_IDLE_SECONDS=${idleSeconds} pnpm bench:heartbeat`,
      setup: [
        `Infrastructure: ${bench.infra.source}; per heartbeat a fresh message service and two gateway processes; clients (socket.io-client) in the benchmark's process; all on this machine, shared with other work, so CPU figures are noisy.`,
        `Silent loss: ${subjects} users connected to replica 2 through a loopback TCP relay that stops forwarding without closing (test/silent-proxy.ts); a contact on replica 1 times each until \`user:status\` offline. Expected: between the ping timeout and interval + timeout, by where in its ping cycle each socket was cut.`,
        `Cost: ${idleSockets} idle sockets on the two replicas for ${idleSeconds} s; gateway CPU from /proc, in % of one core per 1,000 sockets. Wire bytes per socket are computed (Engine.IO ping "2" and pong "3" frames plus TCP/IP headers), not measured.`,
      ],
      body: [
        ...tableHead(
          '| ping interval / timeout | expected s | offline seen | first s | median s | last s | idle gateway CPU % of a core per 1,000 sockets | wire bytes/s per socket |',
        ),
        ...rows,
      ],
    });
  } finally {
    await bench.close();
  }
}

await main();
