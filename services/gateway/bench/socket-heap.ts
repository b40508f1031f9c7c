/**
 * `pnpm bench:socket-heap` — what one idle socket costs a gateway's heap, by kind of
 * object: a heap snapshot of one replica (as deployed: NODE_OPTIONS=--max-semi-space-size=4)
 * before and after BENCH_SOCKETS (2,000) sockets connect, and the growth per socket by V8
 * type and constructor, BENCH_TOP rows (30), printed and written to
 * docs/benchmarks/socket-heap.md. The snapshots go to a temporary folder and are removed.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openBenchEnvironment } from '@palaver/testing/bench-environment';
import { tableHead, writeBenchmarkReport } from '@palaver/testing/benchmark-report';
import { processMemory } from '@palaver/testing/process-tools';
import { type Client, connectSocket, deployedGatewayNodeOptions, deployStack } from './deployment.ts';

const socketCount = Number(process.env.BENCH_SOCKETS ?? 2000);
const top = Number(process.env.BENCH_TOP ?? 30);

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

/** Self size and count by "type constructor" (strings and code lumped per type). */
async function sizesByKind(file: string) {
  const heap = JSON.parse(await readFile(file, 'utf8')) as HeapSnapshot;
  const fields = heap.snapshot.meta.node_fields;
  const [type, name, size] = ['type', 'name', 'self_size'].map((field) => fields.indexOf(field)) as [
    number,
    number,
    number,
  ];
  const kinds = new Map<string, { bytes: number; count: number }>();
  for (let i = 0; i < heap.nodes.length; i += fields.length) {
    const kind = heap.snapshot.meta.node_types[0][heap.nodes[i + type] as number] as string;
    const named = ['object', 'closure', 'native', 'hidden', 'array'].includes(kind);
    const key = named ? `${kind} ${heap.strings[heap.nodes[i + name] as number]?.slice(0, 50)}` : kind;
    const entry = kinds.get(key) ?? { bytes: 0, count: 0 };
    entry.bytes += heap.nodes[i + size] as number;
    entry.count += 1;
    kinds.set(key, entry);
  }
  return kinds;
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'socket-heap-'));
  const bench = await openBenchEnvironment();
  const sockets: Client[] = [];
  try {
    const { gateways } = await deployStack(bench, 'heap', {
      // SIGUSR1: SIGUSR2 is a shutdown signal for the service kit (close-with-grace).
      gateway: {
        NODE_OPTIONS: `${deployedGatewayNodeOptions} --heapsnapshot-signal=SIGUSR1 --diagnostic-dir=${dir}`,
      },
    });
    const gateway = gateways[0] as (typeof gateways)[0];
    const pid = gateway.child.pid as number;
    const snapshot = async () => {
      const before = (await readdir(dir)).length;
      process.kill(pid, 'SIGUSR1');
      while ((await readdir(dir)).length === before) await sleep(200);
      await sleep(3000); // written once the file stops growing; 3 s is ample at this size
      return join(dir, (await readdir(dir)).sort().at(-1) as string);
    };
    await sleep(2000);
    const emptyFile = await snapshot();
    const rssBefore = await processMemory(pid);
    for (let i = 0; i < socketCount; i += 50) {
      const users = await Promise.all(
        Array.from({ length: Math.min(50, socketCount - i) }, () =>
          bench.issuer.mint({ expiresInSeconds: 3600 }),
        ),
      );
      sockets.push(...(await Promise.all(users.map((user) => connectSocket(gateway.url, user.token)))));
    }
    await sleep(10_000);
    const rssAfter = await processMemory(pid);
    const fullFile = await snapshot();
    const [empty, full] = await Promise.all([sizesByKind(emptyFile), sizesByKind(fullFile)]);
    const growth = [...full].map(([key, { bytes, count }]) => ({
      key,
      bytes: (bytes - (empty.get(key)?.bytes ?? 0)) / socketCount,
      count: (count - (empty.get(key)?.count ?? 0)) / socketCount,
    }));
    const total = growth.reduce((sum, row) => sum + row.bytes, 0);
    const code = growth.find((row) => row.key === 'code')?.bytes ?? 0;
    const summary =
      `${socketCount} idle sockets on one gateway: RSS +${((rssAfter - rssBefore) / socketCount / 1024).toFixed(1)} KB a socket, ` +
      `heap +${(total / 1024).toFixed(1)} KB a socket (${((total - code) / 1024).toFixed(1)} KB without compiled code, which grows as the handshake path is optimised, not per socket).`;
    const body = [
      summary,
      '',
      ...tableHead('| bytes a socket | objects a socket | V8 type and constructor |'),
      ...growth
        .sort((a, b) => b.bytes - a.bytes)
        .slice(0, top)
        .map((row) => `| ${row.bytes.toFixed(0)} | ${row.count.toFixed(2)} | ${row.key} |`),
    ];
    console.log(body.join('\n'));
    await writeBenchmarkReport('socket-heap', {
      title: 'Heap per idle socket on a gateway',
      command: `BENCH_SOCKETS=${socketCount} pnpm bench:socket-heap`,
      setup: [
        `One gateway replica of the bench stack (NODE_OPTIONS=${deployedGatewayNodeOptions}), a heap snapshot before and 10 s after the sockets connect (socket.io-client over websocket, one user each, no conversations); growth in self size by V8 node type and constructor, divided by the sockets.`,
      ],
      body,
    });
  } finally {
    for (const socket of sockets) socket.disconnect();
    await bench.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
