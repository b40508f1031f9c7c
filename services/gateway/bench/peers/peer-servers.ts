/**
 * The peers `pnpm bench:peers` compares with Palaver, installed and started by the
 * benchmark itself on loopback: Centrifugo v6 (built once from the Go module proxy into
 * .local/tools/centrifugo, as infra/local builds FerretDB) and the bare Socket.IO server of
 * socketio-server.ts. The bench stops whatever it started when it closes.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { BenchEnvironment } from '@palaver/testing/bench-environment';
import { freePort, waitUntilReady } from '@palaver/testing/process-tools';

export const centrifugoVersion = 'v6.9.1';
const toolsDir = fileURLToPath(new URL('../../../../.local/tools/centrifugo/', import.meta.url));
const centrifugoBinary = join(toolsDir, 'centrifugo');
const go = process.env.GO ?? '/usr/local/go/bin/go';
const socketioEntry = fileURLToPath(new URL('./socketio-server.ts', import.meta.url));

/** A server process the benchmark measures (its pid for /proc) at `url`. */
export interface PeerProcess {
  url: string;
  pid: number;
}

/** Builds Centrifugo unless .local/tools/centrifugo/centrifugo exists (a few minutes, once). */
export async function ensureCentrifugo(): Promise<string> {
  const present = await access(centrifugoBinary).then(
    () => true,
    () => false,
  );
  if (!present) {
    console.log(`building Centrifugo ${centrifugoVersion} with go install (once)…`);
    await promisify(execFile)(go, ['install', `github.com/centrifugal/centrifugo/v6@${centrifugoVersion}`], {
      env: { ...process.env, GOBIN: toolsDir },
      maxBuffer: 16 * 1024 * 1024,
    });
  }
  return centrifugoBinary;
}

/** An HS256 connection token, as a Centrifugo client's backend would mint it. */
export function centrifugoToken(secret: string, userId: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const body = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub: userId, exp: Math.floor(Date.now() / 1000) + 3600 })}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

/** Stops `child` with SIGTERM (SIGKILL after 5 s) and waits for it. */
async function stopChild(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/**
 * `count` Centrifugo nodes: with the Redis engine under `redisPrefix` (so nodes share
 * channels), or one node with the memory engine. Namespace `chat`: clients may subscribe
 * and publish (the benchmark's clients play both the app backend and the users).
 */
export async function startCentrifugo(
  bench: BenchEnvironment,
  options: { engine: 'redis' | 'memory'; count: number; redisPrefix: string },
) {
  const binary = await ensureCentrifugo();
  const secret = randomBytes(24).toString('hex');
  const dir = await mkdtemp(join(tmpdir(), 'palaver-centrifugo-'));
  bench.onClose(() => rm(dir, { recursive: true, force: true }));
  const nodes: PeerProcess[] = [];
  const children: ChildProcess[] = [];
  for (let n = 0; n < options.count; n++) {
    const port = await freePort();
    const config = {
      http_server: { address: '127.0.0.1', port },
      log: { level: 'error' },
      usage_stats: { disabled: true },
      health: { enabled: true },
      http_api: { key: secret },
      client: { token: { hmac_secret_key: secret } },
      engine: {
        type: options.engine,
        redis: { address: [bench.infra.redisUrl], prefix: options.redisPrefix },
      },
      channel: {
        namespaces: [{ name: 'chat', allow_subscribe_for_client: true, allow_publish_for_client: true }],
      },
    };
    const file = join(dir, `node-${n}.json`);
    await writeFile(file, JSON.stringify(config));
    const child = spawn(binary, ['--config', file], { stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(child);
    bench.onClose(() => stopChild(child));
    const url = `http://127.0.0.1:${port}`;
    await waitForHealth(url, child);
    nodes.push({ url, pid: child.pid as number });
  }
  return {
    nodes,
    token: (userId: string) => centrifugoToken(secret, userId),
    /** Before the next system runs, so systems do not share the CPU. */
    stop: () => Promise.all(children.map(stopChild)),
  };
}

async function waitForHealth(url: string, child: ChildProcess) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`centrifugo exited with ${child.exitCode}`);
    if (
      await fetch(`${url}/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`centrifugo at ${url} was not healthy within 20 s`);
}

/** Two replicas of the bare Socket.IO server on the sharded Redis adapter, channels under `channelPrefix`. */
export async function startBareSocketIo(bench: BenchEnvironment, channelPrefix: string) {
  const replicas = await Promise.all(
    [0, 1].map(() =>
      bench.start(socketioEntry, { REDIS_URL: bench.infra.redisUrl, CHANNEL_PREFIX: channelPrefix }),
    ),
  );
  await Promise.all(replicas.map((r) => waitUntilReady(r.url, r.child)));
  return {
    nodes: replicas.map((r): PeerProcess => ({ url: r.url, pid: r.child.pid as number })),
    stop: () => Promise.all(replicas.map((r) => r.stop())),
  };
}

const runDir = fileURLToPath(new URL('../../../../.local/run/', import.meta.url));

/** A process and its descendants, depth first (RabbitMQ's pid file names the wrapper of beam.smp). */
async function withDescendants(pid: number): Promise<number[]> {
  const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  const nested = await Promise.all(
    children
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map((c) => withDescendants(Number(c))),
  );
  return [pid, ...nested.flat()];
}

/**
 * The local stack's Redis and RabbitMQ processes (from .local/run), so their CPU can be
 * shown beside a row's servers; empty when the infrastructure is not the local stack.
 */
export async function sharedInfraPids(source: string): Promise<{ redis: number[]; broker: number[] }> {
  if (source !== 'local-stack') return { redis: [], broker: [] };
  const pidsOf = async (name: string) => {
    const pid = Number(await readFile(join(runDir, `${name}.pid`), 'utf8').catch(() => ''));
    return pid > 0 ? withDescendants(pid) : [];
  };
  return { redis: await pidsOf('redis'), broker: await pidsOf('rabbitmq') };
}
