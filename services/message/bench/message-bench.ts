/**
 * pnpm bench:messages — the send path end to end (HTTP → batcher → MongoDB-compatible
 * server → RabbitMQ with confirms), batched versus one-by-one, side by side in one run.
 *
 * Two message-service processes run at once on the project's infrastructure, identical but
 * for SEND_BATCH_MAX/SEND_BATCH_WINDOW_MS. For each offered load (messages/s, open loop:
 * sends start on schedule whether or not earlier ones were acked) each process gets the
 * same traffic in turn: 20 senders over 10 conversations. Reported: acked messages/s, and
 * send→ack p50/p99. Each cell is the median of BENCH_REPEATS runs.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { provisionInfrastructure } from '@palaver/testing/infrastructure';
import { percentile, waitUntilReady } from '@palaver/testing/process-tools';
import { SignJWT } from 'jose';
import mongoose, { Types } from 'mongoose';

const loads = (process.env.BENCH_LOADS ?? '50,100,200,400').split(',').map(Number);
const seconds = Number(process.env.BENCH_SECONDS ?? 4);
const repeats = Number(process.env.BENCH_REPEATS ?? 3);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

// Tokens minted here, verified by the services against this JWKS, as they would verify auth's.
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const jwks = {
  keys: [{ ...(publicKey.export({ format: 'jwk' }) as object), kid: 'bench', alg: 'EdDSA', use: 'sig' }],
};
const jwksServer = createServer((_req, res) =>
  res.setHeader('content-type', 'application/json').end(JSON.stringify(jwks)),
);
jwksServer.listen(0, '127.0.0.1');
await once(jwksServer, 'listening');
const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as { port: number }).port}/jwks.json`;

const token = (userId: string) =>
  new SignJWT({ sid: randomUUID() })
    .setProtectedHeader({ alg: 'EdDSA', kid: 'bench' })
    .setSubject(userId)
    .setIssuer('palaver-auth')
    .setAudience('palaver')
    .setIssuedAt()
    .setJti(randomUUID())
    .setExpirationTime('1h')
    .sign(privateKey);

interface Variant {
  name: string;
  env: Record<string, string>;
  base: string;
  database: string;
}

async function startVariant(
  name: string,
  env: Record<string, string>,
  infra: { mongoUrl: string; amqpUrl: string },
) {
  const database = `bench_messages_${name}_${randomBytes(3).toString('hex')}`;
  const mongoUrl = new URL(infra.mongoUrl);
  mongoUrl.pathname = `/${database}`;
  if (process.env.BENCH_MONGO_POOL) mongoUrl.searchParams.set('maxPoolSize', process.env.BENCH_MONGO_POOL);
  const port = 4300 + Math.floor(Math.random() * 600);
  const child = spawn(process.execPath, [fileURLToPath(new URL('../src/server.ts', import.meta.url))], {
    env: {
      ...process.env,
      PORT: String(port),
      MONGO_URL: mongoUrl.toString(),
      AMQP_URL: infra.amqpUrl,
      BROKER_EXCHANGE: `${database}.events`,
      QUEUE_PREFIX: database,
      JWKS_URL: jwksUrl,
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  await waitUntilReady(base, child);
  return { variant: { name, env, base, database } satisfies Variant, child, mongoUrl: mongoUrl.toString() };
}

async function prepare(variant: Variant) {
  const users = await Promise.all(
    Array.from({ length: 20 }, async () => {
      const id = new Types.ObjectId().toHexString();
      return { id, auth: `Bearer ${await token(id)}` };
    }),
  );
  const conversations: string[] = [];
  for (let c = 0; c < 10; c++) {
    const owner = users[c * 2] as (typeof users)[number];
    const peer = users[c * 2 + 1] as (typeof users)[number];
    const response = await fetch(`${variant.base}/conversations`, {
      method: 'POST',
      headers: { authorization: owner.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'group', title: `bench ${c}`, memberIds: [peer.id] }),
    });
    conversations.push(((await response.json()) as { id: string }).id);
  }
  return { users, conversations };
}

/** Offers `rate` sends/s for `seconds`; returns acked/s and the ack latencies. */
async function offer(variant: Variant, setup: Awaited<ReturnType<typeof prepare>>, rate: number) {
  const total = rate * seconds;
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const sends: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const user = setup.users[i % setup.users.length] as (typeof setup.users)[number];
    const conversationId = setup.conversations[Math.floor((i % setup.users.length) / 2)] as string;
    sends.push(
      (async () => {
        const t0 = performance.now();
        const response = await fetch(`${variant.base}/conversations/${conversationId}/messages`, {
          method: 'POST',
          headers: { authorization: user.auth, 'content-type': 'application/json' },
          body: JSON.stringify({ clientMessageId: randomUUID(), body: `load ${i}` }),
        });
        await response.arrayBuffer();
        if (response.status === 201) latencies.push(performance.now() - t0);
        else errors++;
      })().catch(() => {
        errors++;
      }),
    );
  }
  await Promise.all(sends);
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    ackedPerSecond: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors,
  };
}

async function main() {
  const { infra, stop } = await provisionInfrastructure();
  const started = await Promise.all([
    startVariant('batched', { SEND_BATCH_MAX: '256', SEND_BATCH_WINDOW_MS: '2' }, infra),
    startVariant('one-by-one', { SEND_BATCH_MAX: '1', SEND_BATCH_WINDOW_MS: '0' }, infra),
  ]);
  try {
    console.log('services ready; preparing conversations');
    const setups = await Promise.all(started.map(({ variant }) => prepare(variant)));
    const rows: string[] = [];
    for (const rate of loads) {
      const results = started.map(() => [] as Awaited<ReturnType<typeof offer>>[]);
      for (let r = 0; r < repeats; r++) {
        // Alternate which design goes first, so drift on this noisy machine hits both.
        const order = r % 2 ? [1, 0] : [0, 1];
        for (const v of order) {
          results[v]?.push(
            await offer((started[v] as (typeof started)[number]).variant, setups[v] as never, rate),
          );
        }
      }
      const cells = results.map((runs) => ({
        acked: median(runs.map((x) => x.ackedPerSecond)),
        p50: median(runs.map((x) => x.p50)),
        p99: median(runs.map((x) => x.p99)),
        errors: runs.reduce((sum, x) => sum + x.errors, 0),
      }));
      const [batched, single] = cells as [(typeof cells)[number], (typeof cells)[number]];
      const line = `| ${rate} | ${batched.acked.toFixed(0)} | ${batched.p50.toFixed(1)} | ${batched.p99.toFixed(1)} | ${single.acked.toFixed(0)} | ${single.p50.toFixed(1)} | ${single.p99.toFixed(1)} | ${(single.p99 / batched.p99).toFixed(1)}× |`;
      rows.push(line);
      console.log(
        `offered ${rate}/s — batched: ${batched.acked.toFixed(0)}/s p50 ${batched.p50.toFixed(1)} ms p99 ${batched.p99.toFixed(1)} ms (errors ${batched.errors}); ` +
          `one-by-one: ${single.acked.toFixed(0)}/s p50 ${single.p50.toFixed(1)} ms p99 ${single.p99.toFixed(1)} ms (errors ${single.errors})`,
      );
    }
    const report = [
      '# Message send benchmark: batched versus one-by-one',
      '',
      `- Date: ${new Date().toISOString()}`,
      `- Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, store via ${infra.source} (FerretDB v1 on SQLite unless a mongod was found)`,
      `- Command: \`pnpm bench:messages\` (BENCH_LOADS=${loads.join(',')}, BENCH_SECONDS=${seconds}, BENCH_REPEATS=${repeats})`,
      '- Full path: HTTP → token check → membership → batcher → insertMany → conversation update → ack; then `message.created` published with confirms and the pending mark cleared.',
      '- Open loop, 20 senders over 10 conversations; both designs run as separate processes at the same time and take turns per repeat. Cells are medians of the repeats; latencies in ms.',
      '- Load generator, both services, the store and RabbitMQ share the same 2 cores.',
      '',
      '| offered msg/s | batched acked/s | batched p50 | batched p99 | one-by-one acked/s | one-by-one p50 | one-by-one p99 | p99 one-by-one ÷ batched |',
      '|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
    ].join('\n');
    const out = fileURLToPath(new URL('../../../docs/benchmarks/', import.meta.url));
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'messages.md'), report);
    console.log('\nwritten to docs/benchmarks/messages.md');
  } finally {
    for (const { child, mongoUrl } of started) {
      child.kill('SIGTERM');
      await once(child, 'exit');
      const mongo = await mongoose.createConnection(mongoUrl).asPromise();
      await mongo.dropDatabase();
      await mongo.close();
    }
    jwksServer.close();
    await stop();
  }
}

await main();
