/**
 * pnpm bench:history — a page of 50 (GET /messages … before=seq) through the service, at
 * 1k, 10k and 100k stored messages, on each store in BENCH_STORES (default: the
 * project's default; `default,sqlite` compares FerretDB on PostgreSQL with SQLite).
 *
 * One group holds a deep history (a tenth of everything stored, at least 1,000); the rest
 * is spread over 50 other conversations. Pages start at random seqs of the deep one.
 */
import { tableHead, writeBenchmarkReport } from '@palaver/testing/benchmark-report';
import { percentile } from '@palaver/testing/process-tools';
import { createTestTokenIssuer } from '@palaver/testing/test-tokens';
import {
  benchDatabase,
  benchStores,
  createGroup,
  preloadMessages,
  reportName,
  startMessageService,
} from './bench-stores.ts';

const sizes = (process.env.BENCH_SIZES ?? '1000,10000,100000').split(',').map(Number);
const pages = Number(process.env.BENCH_PAGES ?? 200);
const concurrencies = (process.env.BENCH_CONCURRENCY ?? '1,4').split(',').map(Number);

const issuer = createTestTokenIssuer();
const jwks = await issuer.serve();
const { stores, backends, stop } = await benchStores();
const rows: string[] = [];
try {
  for (const store of stores) {
    const database = benchDatabase(store, 'history');
    const service = await startMessageService(database, backends, jwks.url);
    try {
      const [owner, peer] = await Promise.all([issuer.mint(), issuer.mint()]);
      const deep = await createGroup(service.url, owner, [peer], 'deep history');
      const others: string[] = [];
      for (let i = 0; i < 50; i++) others.push(await createGroup(service.url, owner, [peer], `other ${i}`));
      let stored = 0;
      let deepSeqs = 0;
      for (const size of sizes) {
        const deepShare = Math.max(1000, Math.floor(size / 10)) - deepSeqs;
        const t0 = performance.now();
        await preloadMessages(database.url, [deep], owner.id, deepShare);
        await preloadMessages(database.url, others, owner.id, Math.max(0, size - stored - deepShare));
        deepSeqs += deepShare;
        stored = size;
        console.log(
          `[${store.name}] ${size} messages stored (preload ${((performance.now() - t0) / 1000).toFixed(1)} s)`,
        );
        for (const concurrency of concurrencies) {
          const latencies: number[] = [];
          let next = 0;
          const started = performance.now();
          await Promise.all(
            Array.from({ length: concurrency }, async () => {
              while (next++ < pages) {
                const before = 51 + Math.floor(Math.random() * (deepSeqs - 50));
                const t = performance.now();
                const response = await fetch(
                  `${service.url}/messages?conversationId=${deep}&before=${before}&limit=50`,
                  { headers: owner.headers },
                );
                const body = (await response.json()) as { messages: unknown[] };
                if (response.status !== 200 || body.messages.length !== 50) {
                  throw new Error(`page: ${response.status} ${JSON.stringify(body).slice(0, 200)}`);
                }
                latencies.push(performance.now() - t);
              }
            }),
          );
          const perSecond = pages / ((performance.now() - started) / 1000);
          latencies.sort((a, b) => a - b);
          const [p50, p99] = [percentile(latencies, 50), percentile(latencies, 99)];
          rows.push(
            `| ${store.name} | ${size.toLocaleString('en')} | ${deepSeqs.toLocaleString('en')} | ${concurrency} | ${p50.toFixed(1)} | ${p99.toFixed(1)} | ${perSecond.toFixed(0)} |`,
          );
          console.log(
            `[${store.name}] ${size} stored, ${concurrency} client(s): page p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, ${perSecond.toFixed(0)} pages/s`,
          );
        }
      }
    } finally {
      await service.stop();
      await database.drop();
    }
  }
  await writeBenchmarkReport(reportName('history', stores), {
    title: 'History page benchmark',
    command: `pnpm bench:history (BENCH_STORES=${stores.map((s) => s.name).join(',')}, BENCH_SIZES=${sizes.join(',')}, BENCH_PAGES=${pages}, BENCH_CONCURRENCY=${concurrencies.join(',')})`,
    setup: [
      'Full path: HTTP → token check → membership lookup → the page read as one equality lookup per block of 50 seqs.',
      `Pages of 50 before a random seq of one deep conversation; closed loop with ${concurrencies.join(' and ')} clients, ${pages} pages per cell. Latencies in ms.`,
      '`default` is the local stack store (FerretDB v1 on PostgreSQL with GIN twins of its indexes); `sqlite` is FerretDB v1 on SQLite, started by the benchmark.',
      'Load generator, service and store share the same 2 cores. Target: p50 ≤ 20 ms at 100k stored.',
    ],
    body: [
      ...tableHead('| store | stored messages | deep conversation | clients | p50 | p99 | pages/s |'),
      ...rows,
    ],
  });
} finally {
  await jwks.close();
  await stop();
}
