/**
 * pnpm bench:auth — login throughput and latency against a real auth process, and
 * whether a burst of logins stalls other requests on that process.
 *
 * Starts its own auth server (child process) on the project's infrastructure, registers
 * users, then for each concurrency level runs logins for a fixed time while a probe
 * sends cheap requests (/healthz) to the same process. Reports req/s, p50/p99, the probe's
 * p50/p99, and the server's event-loop delay p99 (from its own /metrics).
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { provisionInfrastructure } from '@palaver/testing/infrastructure';
import { percentile, waitUntilReady } from '@palaver/testing/process-tools';
import mongoose from 'mongoose';

const durationMs = Number(process.env.BENCH_SECONDS ?? 8) * 1000;
const levels = (process.env.BENCH_CONCURRENCY ?? '1,4,16').split(',').map(Number);
const port = 4100 + Math.floor(Math.random() * 800);
const base = `http://127.0.0.1:${port}`;

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
  const { infra, stop } = await provisionInfrastructure();
  const database = `bench_auth_${randomBytes(3).toString('hex')}`;
  const mongoUrl = new URL(infra.mongoUrl);
  mongoUrl.pathname = `/${database}`;
  const keysDir = await mkdtemp(join(tmpdir(), 'palaver-bench-keys-'));
  const { privateKey } = generateKeyPairSync('ed25519');
  await writeFile(join(keysDir, 'bench.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));

  const server = spawn(process.execPath, [fileURLToPath(new URL('../src/server.ts', import.meta.url))], {
    env: {
      ...process.env,
      PORT: String(port),
      MONGO_URL: mongoUrl.toString(),
      REDIS_URL: infra.redisUrl,
      REDIS_PREFIX: `${database}:`,
      AMQP_URL: infra.amqpUrl,
      BROKER_EXCHANGE: `${database}.events`,
      JWT_KEYS_DIR: keysDir,
      LOG_LEVEL: 'warn',
      LOGIN_RATE_LIMIT: '100000000',
      REGISTER_RATE_LIMIT: '100000000',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await waitUntilReady(base, server);
    const users = Array.from({ length: 32 }, (_, i) => ({
      username: `bench${i}`,
      password: 'bench password 123',
      displayName: `Bench ${i}`,
    }));
    for (const user of users) await post('/auth/register', user);

    const rows: string[] = [];
    const idle = await load(1, Date.now() + 2000, () =>
      fetch(`${base}/healthz`).then((r) => r.arrayBuffer()),
    );
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

    const report = [
      '# Auth benchmark',
      '',
      `- Date: ${new Date().toISOString()}`,
      `- Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, database via ${infra.source}`,
      `- Command: \`pnpm bench:auth\` (BENCH_SECONDS=${durationMs / 1000}, BENCH_CONCURRENCY=${levels.join(',')})`,
      '- Load generator, auth server, MongoDB-compatible server, Redis and RabbitMQ share the same 2 cores.',
      "- argon2id: m=19 MiB, t=2, p=1, on libuv's thread pool (4 threads).",
      '',
      '| concurrent logins | logins/s | login p50 | login p99 | /healthz p50 during | /healthz p99 during | server event-loop delay p99 |',
      '|---|---|---|---|---|---|---|',
      ...rows,
      '',
    ].join('\n');
    const out = fileURLToPath(new URL('../../../docs/benchmarks/', import.meta.url));
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'auth.md'), report);
    console.log(`\nwritten to docs/benchmarks/auth.md`);
  } finally {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
    const mongo = await mongoose.createConnection(mongoUrl.toString()).asPromise();
    await mongo.dropDatabase();
    await mongo.close();
    await rm(keysDir, { recursive: true, force: true });
    await stop();
  }
}

await main();
