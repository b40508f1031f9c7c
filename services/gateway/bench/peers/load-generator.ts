/**
 * The lean load generator: BENCH_CLIENT_WORKERS processes of load-worker.ts, each holding
 * every W-th client (client i lives in worker i % W as its client ⌊i / W⌋). The benchmark
 * addresses clients by their global index; this module splits each command among the
 * workers and merges what they report.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Outgoing, Protocol } from './load-protocol.ts';
import type { WorkerCommand } from './load-worker.ts';

const workerEntry = fileURLToPath(new URL('./load-worker.ts', import.meta.url));

export interface Target {
  base: string;
  auth: Record<string, string>;
}
export type Step = { client: number; outgoing: Outgoing };

export interface LoadGenerator {
  pids: number[];
  connect: (
    protocol: Protocol,
    targets: Target[],
  ) => Promise<{ ok: number; refused: number; seconds: number }>;
  /** Sends each request and waits for every reply; how many got none or an error. */
  request: (requests: Step[]) => Promise<number>;
  /** Only these clients time what they receive from now on (earlier timings are dropped). */
  record: (clients: number[]) => Promise<void>;
  /** `count` requests at `rate`/s in all, open loop, cycling through `plan`: reply delays (ms) and failures. */
  send: (
    plan: Step[],
    count: number,
    rate: number,
  ) => Promise<{ acked: number[]; errors: number; firstError?: string }>;
  /** Receive latencies (ms, stamp → frame) recorded since the last collect, and when the last arrived (ms since epoch). */
  collect: () => Promise<{ latencies: number[]; lastAt: number }>;
  /** Closes every client (the workers stay). */
  disconnect: () => Promise<void>;
  close: () => Promise<void>;
}

function workerChannel(child: ChildProcess) {
  let seq = 0;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  child.on('message', (message: { seq: number; result?: unknown; error?: string }) => {
    const waiter = pending.get(message.seq);
    pending.delete(message.seq);
    if (message.error !== undefined) waiter?.reject(new Error(message.error));
    else waiter?.resolve(message.result);
  });
  child.on('exit', (code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`load worker exited with ${code}`));
    pending.clear();
  });
  return <T>(command: WorkerCommand): Promise<T> =>
    new Promise((resolve, reject) => {
      const id = seq++;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ seq: id, command });
    });
}

/** Asks a worker to close its clients and exit; SIGKILL after 2 s. */
async function stopWorker(child: ChildProcess, call: ReturnType<typeof workerChannel> | undefined) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await call?.({ type: 'close' }).catch(() => undefined);
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

export function startLoadGenerator(workerCount: number, connectConcurrency = 50): LoadGenerator {
  const children = Array.from({ length: workerCount }, () =>
    fork(workerEntry, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  const channels = children.map(workerChannel);
  const owner = (client: number) => client % workerCount;
  const local = (client: number) => Math.floor(client / workerCount);
  /** `steps` split by worker, with local client numbers. */
  const byWorker = (steps: Step[]) =>
    channels.map((_, w) =>
      steps
        .filter((s) => owner(s.client) === w)
        .map((s) => ({ client: local(s.client), outgoing: s.outgoing })),
    );
  const eachWorker = <T>(command: (w: number) => WorkerCommand | undefined) =>
    Promise.all(
      channels.map((call, w) => {
        const c = command(w);
        return c ? call<T>(c) : undefined;
      }),
    );

  return {
    pids: children.map((child) => child.pid as number),
    connect: async (protocol, targets) => {
      const started = performance.now();
      const results = await eachWorker<{ ok: number; refused: number }>((w) => ({
        type: 'connect',
        protocol,
        targets: targets.filter((_, i) => owner(i) === w),
        concurrency: connectConcurrency,
      }));
      const sum = (key: 'ok' | 'refused') => results.reduce((total, r) => total + (r?.[key] ?? 0), 0);
      return { ok: sum('ok'), refused: sum('refused'), seconds: (performance.now() - started) / 1000 };
    },
    request: async (requests) => {
      const split = byWorker(requests);
      const results = await eachWorker<{ errors: number }>((w) =>
        split[w]?.length ? { type: 'request', requests: split[w] } : undefined,
      );
      return results.reduce((total, r) => total + (r?.errors ?? 0), 0);
    },
    record: async (clients) => {
      await eachWorker((w) => ({
        type: 'record',
        clients: clients.filter((c) => owner(c) === w).map(local),
      }));
    },
    send: async (plan, count, rate) => {
      const split = byWorker(plan);
      const results = await eachWorker<{ acked: number[]; errors: number; firstError?: string }>((w) => {
        const share = (split[w]?.length ?? 0) / plan.length;
        if (share === 0) return undefined;
        return { type: 'send', plan: split[w] ?? [], count: Math.round(count * share), rate: rate * share };
      });
      return {
        acked: results.flatMap((r) => r?.acked ?? []),
        errors: results.reduce((total, r) => total + (r?.errors ?? 0), 0),
        firstError: results.find((r) => r?.firstError)?.firstError,
      };
    },
    collect: async () => {
      const results = await eachWorker<{ latencies: number[]; lastAt: number }>(() => ({ type: 'collect' }));
      return {
        latencies: results.flatMap((r) => r?.latencies ?? []),
        lastAt: Math.max(0, ...results.map((r) => r?.lastAt ?? 0)),
      };
    },
    disconnect: async () => {
      await eachWorker(() => ({ type: 'connect', protocol: 'socketio', targets: [], concurrency: 1 }));
    },
    close: () =>
      Promise.all(children.map((child, w) => stopWorker(child, channels[w]))).then(() => undefined),
  };
}
