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
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openBenchEnvironment } from '@palaver/testing/bench-environment';
import { tableHead, writeBenchmarkReport } from '@palaver/testing/benchmark-report';
import { backendVariables } from '@palaver/testing/isolated-names';
import { processMemory, sampleMemoryPeak } from '@palaver/testing/process-tools';
import { Types } from 'mongoose';
import { streamUpload } from '../test/streamed-upload.ts';

const KB = 1024;
const MB = 1024 * KB;
const clients = Number(process.env.BENCH_CLIENTS ?? 4);
const smallCount = Number(process.env.BENCH_SMALL_COUNT ?? 400);
const largeCount = Number(process.env.BENCH_LARGE_COUNT ?? 8);
const maxSeconds = Number(process.env.BENCH_MAX_SECONDS ?? 60);

// Tokens minted here, verified by the service against the bench's JWKS, as it would verify auth's.
const bench = await openBenchEnvironment();
const { authorization } = (
  await bench.issuer.mint({ userId: new Types.ObjectId().toHexString(), expiresInSeconds: 3600 })
).headers;

/** POSTs one file of `size` bytes, generated while it is sent; unique by its first bytes. */
async function upload(base: string, size: number): Promise<string> {
  const unique = randomBytes(Math.min(size, 64 * KB));
  const filler = Buffer.alloc(64 * KB, 'palaver bench\n');
  const { status, body } = await streamUpload(base, {
    authorization,
    size,
    name: 'bench.bin',
    type: 'application/octet-stream',
    boundary: `bench${randomBytes(8).toString('hex')}`,
    content: (offset) => (offset === 0 ? unique : filler),
  });
  if (status !== 201) throw new Error(`upload answered ${status}: ${body}`);
  return (JSON.parse(body) as { uploads: Array<{ id: string }> }).uploads[0]?.id as string;
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
  const env = await bench.isolate('uploads');
  const root = await mkdtemp(join(tmpdir(), 'palaver-upload-bench-'));
  bench.onClose(() => rm(root, { recursive: true, force: true }));
  const service = await bench.start(fileURLToPath(new URL('../src/server.ts', import.meta.url)), {
    ...backendVariables(env),
    JWKS_URL: bench.jwksUrl,
    LOG_LEVEL: 'warn',
    UPLOAD_ROOT: root,
    UPLOAD_URL_SECRET: randomBytes(32).toString('hex'),
    UPLOAD_MAX_FILE_SIZE: String(64 * MB),
    NODE_OPTIONS: '--max-semi-space-size=1', // as deployed (docs/uploads.md#operating)
  });
  const { url: base } = service;
  const pid = service.child.pid as number;
  const memory = sampleMemoryPeak(pid);
  try {
    const idle = await processMemory(pid);
    console.log(`service ready; idle RSS ${(idle / MB).toFixed(0)} MB`);
    const rows: string[] = [];
    for (const [label, size, count] of [
      ['10 KB', 10 * KB, smallCount],
      ['50 MB', 50 * MB, largeCount],
    ] as const) {
      await memory.reset();
      const ids: string[] = [];
      const up = await phase(count, async () => {
        ids.push(await upload(base, size));
        return size;
      });
      const upPeak = memory.peak();
      await memory.reset();
      const down = await phase(ids.length, (i) => download(base, ids[i] as string));
      const downPeak = memory.peak();
      const line = `| ${label} | ${up.done} | ${up.perSecond.toFixed(1)} | ${up.mbPerSecond.toFixed(1)} | ${(upPeak / MB).toFixed(0)} MB | ${down.done} | ${down.perSecond.toFixed(1)} | ${down.mbPerSecond.toFixed(1)} | ${(downPeak / MB).toFixed(0)} MB |`;
      rows.push(line);
      console.log(
        `${label}: upload ${up.done} in ${up.seconds.toFixed(1)} s = ${up.mbPerSecond.toFixed(1)} MB/s (${up.perSecond.toFixed(1)}/s), peak RSS ${(upPeak / MB).toFixed(0)} MB; ` +
          `download ${down.done} in ${down.seconds.toFixed(1)} s = ${down.mbPerSecond.toFixed(1)} MB/s, peak RSS ${(downPeak / MB).toFixed(0)} MB`,
      );
    }
    const highWater = await processMemory(pid, 'VmHWM');
    await writeBenchmarkReport('uploads', {
      title: 'Upload benchmark',
      command: `BENCH_CLIENTS=${clients} BENCH_SMALL_COUNT=${smallCount} BENCH_LARGE_COUNT=${largeCount} BENCH_MAX_SECONDS=${maxSeconds} pnpm bench:uploads`,
      setup: [
        `Database via ${bench.infra.source}.`,
        'One upload-service process (`node src/server.ts`), file store in a temporary folder on the local disk. Closed loop: each client sends its next request when the last one is answered. Every file has distinct content.',
        'Upload: multipart over HTTP → type sniffing → SHA-256 while writing a temp file → rename → MongoDB-compatible insert → `upload.created` with confirms. Download: token check → lookup → file stream.',
        `Peak RSS is the service's, sampled every 50 ms from /proc (idle after start: ${(idle / MB).toFixed(0)} MB; VmHWM at the end: ${(highWater / MB).toFixed(0)} MB). Load generator, service, store and RabbitMQ share the same cores.`,
      ],
      body: [
        ...tableHead(
          '| file size | uploads | uploads/s | upload MB/s | peak RSS (upload) | downloads | downloads/s | download MB/s | peak RSS (download) |',
        ),
        ...rows,
      ],
    });
  } finally {
    memory.stop();
  }
}

await main().finally(bench.close);
