import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  backendVariables,
  dropMongoDatabase,
  isolatedEnvironment,
  markRevocationListComplete,
  processMemory,
  sampleMemoryPeak,
  spawnServiceProcess,
  startServiceProcess,
} from '@palaver/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamUpload } from './streamed-upload.ts';
import { filesUnder, issuer, makeUser, urlSecret } from './upload-harness.ts';

const serverEntry = fileURLToPath(new URL('../src/server.ts', import.meta.url));
const MB = 1024 * 1024;
/** The upload service's Node options wherever it is deployed (infra/local/lib/stack.sh, compose, k8s). */
const uploadNodeOptions = '--max-semi-space-size=1';
/** What the big file is made of, over and over. */
const logChunk = Buffer.alloc(64 * 1024, 'palaver log line\n');

let jwksServer: Awaited<ReturnType<typeof issuer.serve>>;
let root: string;
let baseEnv: Record<string, string>;
beforeAll(async () => {
  jwksServer = await issuer.serve();
  const env = isolatedEnvironment('process');
  await markRevocationListComplete(env);
  root = await mkdtemp(join(tmpdir(), 'palaver-uploads-proc-'));
  baseEnv = {
    ...backendVariables(env),
    JWKS_URL: jwksServer.url,
    UPLOAD_ROOT: root,
    UPLOAD_URL_SECRET: urlSecret,
    UPLOAD_MAX_FILE_SIZE: String(300 * MB),
  };
});
afterAll(async () => {
  await jwksServer.close();
  await rm(root, { recursive: true, force: true });
  await dropMongoDatabase(baseEnv.MONGO_URL as string);
});

describe('upload server process', () => {
  it('refuses to start with a short UPLOAD_URL_SECRET, in one line naming it', async () => {
    const run = spawnServiceProcess(serverEntry, { ...baseEnv, UPLOAD_URL_SECRET: 'short' });
    expect(await run.exited).toBe(1);
    expect(run.output().stderr.trim()).toMatch(
      /^upload: invalid configuration: UPLOAD_URL_SECRET is invalid/,
    );
  });

  it('streams a 200 MB upload to disk with RSS growing by less than 64 MB, then stops on SIGTERM', async () => {
    // Started as the local stack, compose and Kubernetes start it: with a small young
    // generation, so streamed socket buffers are reclaimed as they go (docs/uploads.md).
    const run = await startServiceProcess(serverEntry, {
      ...baseEnv,
      LOG_LEVEL: 'info',
      NODE_OPTIONS: uploadNodeOptions,
    });
    const base = run.url;
    const pid = run.child.pid as number;
    try {
      const user = await makeUser();
      const before = await processMemory(pid, 'VmRSS');
      const sampler = sampleMemoryPeak(pid);
      const size = 200 * MB;
      const response = await streamUpload(base, {
        authorization: user.headers.authorization,
        size,
        name: 'big.log',
        type: 'text/plain',
        content: () => logChunk,
      });
      sampler.stop();
      expect(response.status, response.body).toBe(201);
      const [upload] = JSON.parse(response.body).uploads;
      expect(upload.size).toBe(size);
      const peak = Math.max(before, sampler.peak());
      const highWater = await processMemory(pid, 'VmHWM');
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
      expect(await head.text()).toBe(logChunk.subarray(-17).toString());

      expect(await run.stop('SIGTERM')).toBe(0);
      const logs = run.logs();
      expect(logs.some((log) => log.reqId === 'trace-upload-1' && log.service === 'upload')).toBe(true);
      expect(logs.at(-1)).toMatchObject({ msg: 'stopped' });
    } finally {
      await run.stop('SIGKILL');
    }
  }, 120_000);
});
