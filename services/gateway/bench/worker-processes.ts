/**
 * Load-generating child processes of the gateway benchmarks: each is forked from a module
 * that answers `{ seq, command }` messages with `{ seq, result | error }` (and exits on
 * `{ type: 'close' }`), so the benchmark calls it like an async function.
 */
import { type ChildProcess, fork } from 'node:child_process';

export type WorkerCall<C> = <T>(command: C) => Promise<T>;

function workerChannel<C>(child: ChildProcess): WorkerCall<C> {
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
  return <T>(command: C): Promise<T> =>
    new Promise((resolve, reject) => {
      const id = seq++;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ seq: id, command });
    });
}

/** Asks a worker to close its clients and exit; SIGKILL after 2 s. */
async function stopWorker<C>(child: ChildProcess, call: WorkerCall<C>, close: C) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await call(close).catch(() => undefined);
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

/** `count` processes of `entry`; `close` stops them all. */
export function forkWorkers<C extends { type: string }>(entry: string, count: number, close: C) {
  const children = Array.from({ length: count }, () =>
    fork(entry, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  const calls = children.map((child) => workerChannel<C>(child));
  return {
    pids: children.map((child) => child.pid as number),
    calls,
    close: () =>
      Promise.all(children.map((child, w) => stopWorker(child, calls[w] as WorkerCall<C>, close))).then(
        () => undefined,
      ),
  };
}
