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
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { provisionInfrastructure } from '@palaver/testing/infrastructure';
import { waitUntilReady } from '@palaver/testing/process-tools';
import { SignJWT } from 'jose';
import mongoose, { Types } from 'mongoose';

const KB = 1024;
const MB = 1024 * KB;
const clients = Number(process.env.BENCH_CLIENTS ?? 4);
const smallCount = Number(process.env.BENCH_SMALL_COUNT ?? 400);
const largeCount = Number(process.env.BENCH_LARGE_COUNT ?? 8);
const maxSeconds = Number(process.env.BENCH_MAX_SECONDS ?? 60);

// Tokens minted here, verified by the service against this JWKS, as it would verify auth's.
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

const userId = new Types.ObjectId().toHexString();
const authorization = `Bearer ${await new SignJWT({ sid: randomUUID() })
  .setProtectedHeader({ alg: 'EdDSA', kid: 'bench' })
  .setSubject(userId)
  .setIssuer('palaver-auth')
  .setAudience('palaver')
  .setIssuedAt()
  .setJti(randomUUID())
  .setExpirationTime('1h')
  .sign(privateKey)}`;

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
      UPLOAD_ROOT: root,
      UPLOAD_URL_SECRET: randomBytes(32).toString('hex'),
      UPLOAD_MAX_FILE_SIZE: String(64 * MB),
      NODE_OPTIONS: '--max-semi-space-size=1', // as deployed (docs/uploads.md#operating)
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
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
    await waitUntilReady(base, child);
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
    const report = [
      '# Upload benchmark',
      '',
      `- Date: ${new Date().toISOString()}`,
      `- Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, database via ${infra.source}`,
      `- Command: \`pnpm bench:uploads\` (BENCH_CLIENTS=${clients}, BENCH_SMALL_COUNT=${smallCount}, BENCH_LARGE_COUNT=${largeCount}, BENCH_MAX_SECONDS=${maxSeconds})`,
      '- One upload-service process (`node src/server.ts`), file store in a temporary folder on the local disk. Closed loop: each client sends its next request when the last one is answered. Every file has distinct content.',
      '- Upload: multipart over HTTP → type sniffing → SHA-256 while writing a temp file → rename → MongoDB-compatible insert → `upload.created` with confirms. Download: token check → lookup → file stream.',
      `- Peak RSS is the service's, sampled every 50 ms from /proc (idle after start: ${(idle / MB).toFixed(0)} MB; VmHWM at the end: ${(highWater / MB).toFixed(0)} MB). Load generator, service, store and RabbitMQ share the same cores.`,
      '',
      '| file size | uploads | uploads/s | upload MB/s | peak RSS (upload) | downloads | downloads/s | download MB/s | peak RSS (download) |',
      '|---|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
    ].join('\n');
    const out = fileURLToPath(new URL('../../../docs/benchmarks/uploads.md', import.meta.url));
    await writeFile(out, report);
    console.log('\nwritten to docs/benchmarks/uploads.md');
  } finally {
    clearInterval(sampler);
    child.kill('SIGTERM');
    await once(child, 'exit');
    await rm(root, { recursive: true, force: true });
    const mongo = await mongoose.createConnection(mongoUrl.toString()).asPromise();
    await mongo.dropDatabase();
    await mongo.close();
    jwksServer.close();
    await stop();
  }
}

await main();
