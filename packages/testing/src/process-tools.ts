import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';

/** Waits until `${base}/readyz` answers 200; throws if `child` exits first or time runs out. */
export async function waitUntilReady(base: string, child?: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null)
      throw new Error(`server exited with ${child.exitCode} before it was ready`);
    const ready = await fetch(`${base}/readyz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${base} was not ready within ${timeoutMs} ms`);
}

/** The p-th percentile of an ascending array (NaN when empty). */
export const percentile = (sorted: number[], p: number) =>
  sorted.length
    ? (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number)
    : Number.NaN;

/** A TCP port free on 127.0.0.1 right now, for a server started as a separate process. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A service started as its own process by a test or benchmark. */
export interface ServiceProcess {
  url: string;
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr), for failure messages. */
  output: () => string;
  /** What it logged so far: its stdout, one JSON object a line. */
  logs: () => Array<Record<string, unknown>>;
  exited: Promise<number | null>;
  /** SIGTERM (or the given signal) and wait for the exit code. */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/** A service process as spawned, before it is ready (for tests of start-up itself). */
export interface SpawnedService {
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => { stdout: string; stderr: string };
}

/** Runs `node <entry>` with only PATH and `env` in its environment, keeping what it prints. */
export function spawnServiceProcess(entry: string, env: Record<string, string>): SpawnedService {
  const child = spawn(process.execPath, [entry], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  // The last 64 KiB of each is plenty for a failure message.
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout = (stdout + chunk.toString()).slice(-64 * 1024);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-64 * 1024);
  });
  // 'close', not 'exit': it comes after the pipes are drained, so the last lines are in.
  const exited = once(child, 'close').then(([code]) => code as number | null);
  return { child, exited, output: () => ({ stdout, stderr }) };
}

/**
 * Runs `node <entry>` on a free port with only PATH and `env` in its environment, and
 * waits for `/readyz`; on failure the error carries the process' output.
 */
export async function startServiceProcess(
  entry: string,
  env: Record<string, string>,
): Promise<ServiceProcess> {
  const port = await freePort();
  const {
    child,
    exited,
    output: printed,
  } = spawnServiceProcess(entry, {
    LOG_LEVEL: 'warn',
    ...env,
    PORT: String(port),
  });
  const output = () => `${printed().stdout}${printed().stderr}`;
  const service: ServiceProcess = {
    url: `http://127.0.0.1:${port}`,
    child,
    output,
    logs: () => jsonLines(printed().stdout),
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  try {
    await waitUntilReady(service.url, child);
  } catch (error) {
    await service.stop('SIGKILL');
    throw new Error(`${(error as Error).message}\n${output()}`);
  }
  return service;
}

/** The JSON objects of a log, one a line (blank lines skipped). */
export const jsonLines = (text: string): Array<Record<string, unknown>> =>
  text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

// What a process uses, from Linux's /proc: the memory and CPU figures tests and benchmarks report.

/** A process' resident memory now (`VmRSS`) or at its peak so far (`VmHWM`), in bytes. */
export async function processMemory(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
}

/** The highest resident memory of a process sampled every `intervalMs` until `stop`; `reset` starts over from now. */
export function sampleMemoryPeak(pid: number, intervalMs = 50) {
  let peak = 0;
  const sample = () =>
    processMemory(pid).then(
      (rss) => {
        peak = Math.max(peak, rss);
      },
      () => undefined,
    );
  const timer = setInterval(sample, intervalMs);
  return {
    peak: () => peak,
    /** Forgets the peak so far: the next is counted from the memory in use now. */
    reset: async () => {
      peak = 0;
      await sample();
    },
    stop: () => clearInterval(timer),
  };
}

/** CPU seconds a process has used so far (user + system; USER_HZ is 100 on Linux). */
export async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
