/**
 * pnpm bench:auth — login throughput and latency against a real auth process, and
 * whether a burst of logins stalls other requests on that process.
 *
 * Starts its own auth server (child process) on the project's infrastructure, registers
 * users, then for each concurrency level runs logins for a fixed time while a probe
 * sends cheap requests (/healthz) to the same process. Reports req/s, p50/p99, the probe's
 * p50/p99, and the server's event-loop delay p99 (from its own /metrics).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openBenchEnvironment } from '@palaver/testing/bench-environment';
import { tableHead, writeBenchmarkReport } from '@palaver/testing/benchmark-report';
import { backendVariables } from '@palaver/testing/isolated-names';
import { percentile } from '@palaver/testing/process-tools';
import { writeSigningKey } from '../test/signing-keys.ts';

const durationMs = Number(process.env.BENCH_SECONDS ?? 8) * 1000;
const levels = (process.env.BENCH_CONCURRENCY ?? '1,4,16').split(',').map(Number);
const bench = await openBenchEnvironment();
let base = '';

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

async function post(path: string, body: unknown) {
  const response = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await response.arrayBuffer();
  return response.status;
}

/** Runs `task` in `concurrency` loops until the deadline (pausing `pauseMs` between calls); returns each call's latency. */
async function load(concurrency: number, until: number, task: () => Promise<unknown>, pauseMs = 0) {
  const latencies: number[] = [];
  let errors = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < until) {
        const started = performance.now();
        try {
          await task();
        } catch {
          errors++;
        }
        latencies.push(performance.now() - started);
        if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), errors };
}

/** The server's event-loop delay p99 since the previous scrape (prom-client resets it). */
async function serverLoopDelayP99(): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('nodejs_eventloop_lag_p99_seconds'));
  return Number(line?.split(' ').at(-1)) * 1000;
}

async function main() {
  const env = await bench.isolate('auth');
  const keysDir = await mkdtemp(join(tmpdir(), 'palaver-bench-keys-'));
  bench.onClose(() => rm(keysDir, { recursive: true, force: true }));
  await writeSigningKey(keysDir, 'bench');
  const server = await bench.start(fileURLToPath(new URL('../src/server.ts', import.meta.url)), {
    ...backendVariables(env),
    JWT_KEYS_DIR: keysDir,
    LOG_LEVEL: 'warn',
    LOGIN_RATE_LIMIT: '100000000',
    REGISTER_RATE_LIMIT: '100000000',
  });
  base = server.url;
  const users = Array.from({ length: 32 }, (_, i) => ({
    username: `bench${i}`,
    password: 'bench password 123',
    displayName: `Bench ${i}`,
  }));
  for (const user of users) await post('/auth/register', user);

  const rows: string[] = [];
  const idle = await load(1, Date.now() + 2000, () => fetch(`${base}/healthz`).then((r) => r.arrayBuffer()));
  rows.push(
    `| idle (no logins) | – | – | – | ${fmt(percentile(idle.latencies, 50))} | ${fmt(percentile(idle.latencies, 99))} | – |`,
  );
  console.log(
    `idle probe p50 ${fmt(percentile(idle.latencies, 50))} p99 ${fmt(percentile(idle.latencies, 99))}`,
  );

  for (const concurrency of levels) {
    await serverLoopDelayP99(); // reset the server's histogram
    let next = 0;
    const until = Date.now() + durationMs;
    const [logins, probe] = await Promise.all([
      load(concurrency, until, async () => {
        const user = users[next++ % users.length] as (typeof users)[number];
        const status = await post('/auth/login', { username: user.username, password: user.password });
        if (status !== 200) throw new Error(`login ${status}`);
      }),
      load(1, until, () => fetch(`${base}/healthz`).then((r) => r.arrayBuffer()), 20),
    ]);
    const loopP99 = await serverLoopDelayP99();
    const rate = logins.latencies.length / (durationMs / 1000);
    const row = `| ${concurrency} | ${rate.toFixed(0)} | ${fmt(percentile(logins.latencies, 50))} | ${fmt(percentile(logins.latencies, 99))} | ${fmt(percentile(probe.latencies, 50))} | ${fmt(percentile(probe.latencies, 99))} | ${fmt(loopP99)} |`;
    rows.push(row);
    console.log(
      `concurrency ${concurrency}: ${rate.toFixed(0)} logins/s, p50 ${fmt(percentile(logins.latencies, 50))}, p99 ${fmt(percentile(logins.latencies, 99))}, errors ${logins.errors}; ` +
        `probe p50 ${fmt(percentile(probe.latencies, 50))} p99 ${fmt(percentile(probe.latencies, 99))}; server event-loop delay p99 ${fmt(loopP99)}`,
    );
  }

  await writeBenchmarkReport('auth', {
    title: 'Auth benchmark',
    command: `pnpm bench:auth (BENCH_SECONDS=${durationMs / 1000}, BENCH_CONCURRENCY=${levels.join(',')})`,
    setup: [
      `Database via ${bench.infra.source}.`,
      'Load generator, auth server, MongoDB-compatible server, Redis and RabbitMQ share the same 2 cores.',
      "argon2id: m=19 MiB, t=2, p=1, on libuv's thread pool (4 threads).",
    ],
    body: [
      ...tableHead(
        '| concurrent logins | logins/s | login p50 | login p99 | /healthz p50 during | /healthz p99 during | server event-loop delay p99 |',
      ),
      ...rows,
    ],
  });
}

await main().finally(bench.close);
