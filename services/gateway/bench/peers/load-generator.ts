/**
 * The lean load generator: BENCH_CLIENT_WORKERS processes of load-worker.ts, each holding
 * every W-th client (client i lives in worker i % W as its client ⌊i / W⌋). The benchmark
 * addresses clients by their global index; this module splits each command among the
 * workers and merges what they report.
 */
import { fileURLToPath } from 'node:url';
import { forkWorkers } from '../worker-processes.ts';
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

export function startLoadGenerator(workerCount: number, connectConcurrency = 50): LoadGenerator {
  const workers = forkWorkers<WorkerCommand>(workerEntry, workerCount, { type: 'close' });
  const channels = workers.calls;
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
    pids: workers.pids,
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
    close: workers.close,
  };
}
