import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  isolatedEnvironment,
  markRevocationListComplete,
  spawnServiceProcess,
  waitUntilReady,
} from '@palaver/testing';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesUnder, issuer, makeUser, urlSecret } from './upload-harness.ts';

const serverEntry = fileURLToPath(new URL('../src/server.ts', import.meta.url));
const MB = 1024 * 1024;
/** The upload service's Node options wherever it is deployed (infra/local/lib/stack.sh, compose, k8s). */
const uploadNodeOptions = '--max-semi-space-size=1';

let jwksServer: Awaited<ReturnType<typeof issuer.serve>>;
let root: string;
let baseEnv: Record<string, string>;
beforeAll(async () => {
  jwksServer = await issuer.serve();
  const env = isolatedEnvironment('process');
  await markRevocationListComplete(env);
  root = await mkdtemp(join(tmpdir(), 'palaver-uploads-proc-'));
  baseEnv = {
    MONGO_URL: env.mongoDatabaseUrl,
    AMQP_URL: env.amqpUrl,
    BROKER_EXCHANGE: env.exchange,
    QUEUE_PREFIX: env.queuePrefix,
    REDIS_URL: env.redisUrl,
    REDIS_PREFIX: env.redisPrefix,
    JWKS_URL: jwksServer.url,
    UPLOAD_ROOT: root,
    UPLOAD_URL_SECRET: urlSecret,
    UPLOAD_MAX_FILE_SIZE: String(300 * MB),
  };
});
afterAll(async () => {
  await jwksServer.close();
  await rm(root, { recursive: true, force: true });
  const mongo = await mongoose.createConnection(baseEnv.MONGO_URL as string).asPromise();
  await mongo.dropDatabase();
  await mongo.close();
});

const start = (env: Record<string, string>) => spawnServiceProcess(serverEntry, env);

const memoryOf = async (child: ChildProcess, field: 'VmRSS' | 'VmHWM') => {
  const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1]) * 1024;
};

/** POSTs one generated file of `size` bytes as multipart, written as it is sent. */
function uploadGenerated(base: string, authorization: string, size: number) {
  const boundary = 'palaver-process-boundary';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.log"\r\n` +
      'Content-Type: text/plain\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const chunk = Buffer.alloc(64 * 1024, 'palaver log line\n');
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
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
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    let sent = 0;
    const pump = () => {
      let ok = true;
      if (sent === 0) ok = req.write(head);
      while (ok && sent < size) {
        const piece = size - sent >= chunk.length ? chunk : chunk.subarray(0, size - sent);
        sent += piece.length;
        ok = req.write(piece);
      }
      if (sent >= size) req.end(tail);
      else req.once('drain', pump);
    };
    pump();
  });
}

describe('upload server process', () => {
  it('refuses to start with a short UPLOAD_URL_SECRET, in one line naming it', async () => {
    const run = start({ ...baseEnv, UPLOAD_URL_SECRET: 'short' });
    expect(await run.exited).toBe(1);
    expect(run.output().stderr.trim()).toMatch(
      /^upload: invalid configuration: UPLOAD_URL_SECRET is invalid/,
    );
  });

  it('streams a 200 MB upload to disk with RSS growing by less than 64 MB, then stops on SIGTERM', async () => {
    const port = 4500 + Math.floor(Math.random() * 400);
    // Started as the local stack, compose and Kubernetes start it: with a small young
    // generation, so streamed socket buffers are reclaimed as they go (docs/uploads.md).
    const run = start({ ...baseEnv, PORT: String(port), LOG_LEVEL: 'info', NODE_OPTIONS: uploadNodeOptions });
    const base = `http://127.0.0.1:${port}`;
    try {
      await waitUntilReady(base, run.child);
      const user = await makeUser();
      const before = await memoryOf(run.child, 'VmRSS');
      let peak = before;
      const sampler = setInterval(() => {
        memoryOf(run.child, 'VmRSS').then(
          (rss) => {
            peak = Math.max(peak, rss);
          },
          () => undefined,
        );
      }, 50);
      const size = 200 * MB;
      const response = await uploadGenerated(base, user.headers.authorization, size);
      clearInterval(sampler);
      expect(response.status, response.body).toBe(201);
      const [upload] = JSON.parse(response.body).uploads;
      expect(upload.size).toBe(size);
      const highWater = await memoryOf(run.child, 'VmHWM');
      const growth = Math.max(peak, highWater) - before;
      console.info(
        `200 MB upload: RSS before ${(before / MB).toFixed(1)} MB, sampled peak ${(peak / MB).toFixed(1)} MB, VmHWM ${(highWater / MB).toFixed(1)} MB`,
      );
      expect(growth).toBeLessThan(64 * MB);
      expect((await filesUnder(join(root, 'blobs'))).some((file) => file.endsWith(upload.sha256))).toBe(true);
      expect(await filesUnder(join(root, 'tmp'))).toEqual([]);

      const head = await fetch(`${base}${new URL(upload.url, base).pathname.replace(/^\/api/, '')}`, {
        headers: { ...user.headers, range: 'bytes=-17', 'x-request-id': 'trace-upload-1' },
      });
      expect(head.status).toBe(206);
      const lastChunk = Buffer.alloc(64 * 1024, 'palaver log line\n');
      expect(await head.text()).toBe(lastChunk.subarray(-17).toString());

      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      const logs = run
        .output()
        .stdout.trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(logs.some((log) => log.reqId === 'trace-upload-1' && log.service === 'upload')).toBe(true);
      expect(logs.at(-1)).toMatchObject({ msg: 'stopped' });
    } finally {
      run.child.kill('SIGKILL');
    }
  }, 120_000);
});
