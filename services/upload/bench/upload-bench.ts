/**
 * pnpm bench:uploads — upload and download throughput of the upload service, and its
 * peak memory, for small (10 KB) and large (50 MB) files with several concurrent clients.
 *
 * One upload-service process runs on the project's infrastructure with a temporary store.
 * Each phase runs BENCH_CLIENTS clients in a closed loop until BENCH_SMALL_COUNT or
 * BENCH_LARGE_COUNT files are done, or BENCH_MAX_SECONDS pass. Every file has distinct
 * content (no deduplication helps). Uploads are generated as they are sent and downloads
 * are counted as they arrive, so the load generator holds no whole file either.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeBenchmarkReport } from '@palaver/testing/benchmark-report';
import { provisionInfrastructure } from '@palaver/testing/infrastructure';
import { startServiceProcess } from '@palaver/testing/process-tools';
import { markRevocationListComplete } from '@palaver/testing/revocation-list';
import { createTestTokenIssuer } from '@palaver/testing/test-tokens';
import mongoose, { Types } from 'mongoose';

const KB = 1024;
const MB = 1024 * KB;
const clients = Number(process.env.BENCH_CLIENTS ?? 4);
const smallCount = Number(process.env.BENCH_SMALL_COUNT ?? 400);
const largeCount = Number(process.env.BENCH_LARGE_COUNT ?? 8);
const maxSeconds = Number(process.env.BENCH_MAX_SECONDS ?? 60);

// Tokens minted here, verified by the service against this JWKS, as it would verify auth's.
const issuer = createTestTokenIssuer();
const jwksServer = await issuer.serve();
const { authorization } = (
  await issuer.mint({ userId: new Types.ObjectId().toHexString(), expiresInSeconds: 3600 })
).headers;

const rssOf = async (child: ChildProcess, field: 'VmRSS' | 'VmHWM') => {
  const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1]) * KB;
};

/** POSTs one file of `size` bytes, generated while it is sent; unique by its first bytes. */
function upload(base: string, size: number): Promise<string> {
  const boundary = `bench${randomUUID()}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench.bin"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const unique = randomBytes(Math.min(size, 64 * KB));
  const filler = Buffer.alloc(64 * KB, 'palaver bench\n');
  return new Promise((resolve, reject) => {
    const req = request(`${base}/uploads`, {
      method: 'POST',
      headers: {
        authorization,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': head.length + size + tail.length,
      },
    });
    req.on('response', (response) => {
      let body = '';
      response.on('data', (data) => {
        body += data;
      });
      response.on('end', () => {
        if (response.statusCode !== 201) reject(new Error(`upload answered ${response.statusCode}: ${body}`));
        else resolve((JSON.parse(body) as { uploads: Array<{ id: string }> }).uploads[0]?.id as string);
      });
    });
    req.on('error', reject);
    let sent = 0;
    const pump = () => {
      let ok = sent > 0 || req.write(head);
      while (ok && sent < size) {
        const source = sent === 0 ? unique : filler;
        const piece = source.subarray(0, Math.min(source.length, size - sent));
        sent += piece.length;
        ok = req.write(piece);
      }
      if (sent >= size) req.end(tail);
      else req.once('drain', pump);
    };
    pump();
  });
}

async function download(base: string, id: string): Promise<number> {
  const response = await fetch(`${base}/uploads/${id}`, { headers: { authorization } });
  if (response.status !== 200) throw new Error(`download answered ${response.status}`);
  let bytes = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) bytes += chunk.length;
  return bytes;
}

/** Runs `task` from `clients` closed-loop clients until `count` are done or time is up. */
async function phase(count: number, task: (i: number) => Promise<number>) {
  const deadline = performance.now() + maxSeconds * 1000;
  let next = 0;
  let bytes = 0;
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < count && performance.now() < deadline) {
        // Awaited first: `bytes += await …` would read `bytes` before the wait and lose updates.
        const moved = await task(next++);
        bytes += moved;
        done++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { done, seconds, mbPerSecond: bytes / MB / seconds, perSecond: done / seconds };
}

async function main() {
  const { infra, stop } = await provisionInfrastructure();
  const database = `bench_uploads_${randomBytes(3).toString('hex')}`;
  const mongoUrl = new URL(infra.mongoUrl);
  mongoUrl.pathname = `/${database}`;
  const root = await mkdtemp(join(tmpdir(), 'palaver-upload-bench-'));
  // Stands in for auth's revocation list, which services need to accept tokens.
  await markRevocationListComplete({ redisUrl: infra.redisUrl, redisPrefix: `${database}:` });
  const service = await startServiceProcess(fileURLToPath(new URL('../src/server.ts', import.meta.url)), {
    MONGO_URL: mongoUrl.toString(),
    REDIS_URL: infra.redisUrl,
    REDIS_PREFIX: `${database}:`,
    AMQP_URL: infra.amqpUrl,
    BROKER_EXCHANGE: `${database}.events`,
    QUEUE_PREFIX: database,
    JWKS_URL: jwksServer.url,
    LOG_LEVEL: 'warn',
    UPLOAD_ROOT: root,
    UPLOAD_URL_SECRET: randomBytes(32).toString('hex'),
    UPLOAD_MAX_FILE_SIZE: String(64 * MB),
    NODE_OPTIONS: '--max-semi-space-size=1', // as deployed (docs/uploads.md#operating)
  }).catch(async (error: unknown) => {
    await rm(root, { recursive: true, force: true });
    await jwksServer.close();
    await stop();
    throw error;
  });
  const { child, url: base } = service;
  let peak = 0;
  const sampler = setInterval(() => {
    rssOf(child, 'VmRSS').then(
      (rss) => {
        peak = Math.max(peak, rss);
      },
      () => undefined,
    );
  }, 50);
  try {
    const idle = await rssOf(child, 'VmRSS');
    console.log(`service ready; idle RSS ${(idle / MB).toFixed(0)} MB`);
    const rows: string[] = [];
    for (const [label, size, count] of [
      ['10 KB', 10 * KB, smallCount],
      ['50 MB', 50 * MB, largeCount],
    ] as const) {
      peak = await rssOf(child, 'VmRSS');
      const ids: string[] = [];
      const up = await phase(count, async () => {
        ids.push(await upload(base, size));
        return size;
      });
      const upPeak = peak;
      peak = await rssOf(child, 'VmRSS');
      const down = await phase(ids.length, (i) => download(base, ids[i] as string));
      const downPeak = peak;
      const line = `| ${label} | ${up.done} | ${up.perSecond.toFixed(1)} | ${up.mbPerSecond.toFixed(1)} | ${(upPeak / MB).toFixed(0)} MB | ${down.done} | ${down.perSecond.toFixed(1)} | ${down.mbPerSecond.toFixed(1)} | ${(downPeak / MB).toFixed(0)} MB |`;
      rows.push(line);
      console.log(
        `${label}: upload ${up.done} in ${up.seconds.toFixed(1)} s = ${up.mbPerSecond.toFixed(1)} MB/s (${up.perSecond.toFixed(1)}/s), peak RSS ${(upPeak / MB).toFixed(0)} MB; ` +
          `download ${down.done} in ${down.seconds.toFixed(1)} s = ${down.mbPerSecond.toFixed(1)} MB/s, peak RSS ${(downPeak / MB).toFixed(0)} MB`,
      );
    }
    const highWater = await rssOf(child, 'VmHWM');
    const path = await writeBenchmarkReport('uploads', {
      title: 'Upload benchmark',
      command: `BENCH_CLIENTS=${clients} BENCH_SMALL_COUNT=${smallCount} BENCH_LARGE_COUNT=${largeCount} BENCH_MAX_SECONDS=${maxSeconds} pnpm bench:uploads`,
      setup: [
        `Database via ${infra.source}.`,
        'One upload-service process (`node src/server.ts`), file store in a temporary folder on the local disk. Closed loop: each client sends its next request when the last one is answered. Every file has distinct content.',
        'Upload: multipart over HTTP → type sniffing → SHA-256 while writing a temp file → rename → MongoDB-compatible insert → `upload.created` with confirms. Download: token check → lookup → file stream.',
        `Peak RSS is the service's, sampled every 50 ms from /proc (idle after start: ${(idle / MB).toFixed(0)} MB; VmHWM at the end: ${(highWater / MB).toFixed(0)} MB). Load generator, service, store and RabbitMQ share the same cores.`,
      ],
      body: [
        '| file size | uploads | uploads/s | upload MB/s | peak RSS (upload) | downloads | downloads/s | download MB/s | peak RSS (download) |',
        '|---|---|---|---|---|---|---|---|---|',
        ...rows,
      ],
    });
    console.log(`\nwritten to ${path}`);
  } finally {
    clearInterval(sampler);
    await service.stop();
    await rm(root, { recursive: true, force: true });
    const mongo = await mongoose.createConnection(mongoUrl.toString()).asPromise();
    await mongo.dropDatabase();
    await mongo.close();
    await jwksServer.close();
    await stop();
  }
}

await main();
