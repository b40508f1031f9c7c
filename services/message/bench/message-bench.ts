/**
 * pnpm bench:messages — the send path end to end (HTTP → token → membership → batcher →
 * outbox + insert → head → ack; then `message.created` published with confirms), on each
 * store in BENCH_STORES (default: the project's default; `default,sqlite` compares).
 *
 * For each store, in one run: the raw driver ceiling (concurrent insertMany of
 * message-shaped documents into a collection with the messages' indexes), then the
 * service's acked msg/s and send→ack p50/p99 at each offered load (open loop: sends start
 * on schedule whether or not earlier ones were acked), first on an empty store and again
 * after preloading BENCH_PRELOAD messages. Cells are medians of BENCH_REPEATS runs.
 */
import { randomUUID } from 'node:crypto';
import { median, tableHead, writeBenchmarkReport } from '@palaver/testing/benchmark-report';
import { percentile } from '@palaver/testing/process-tools';
import { createTestTokenIssuer, type TestUser } from '@palaver/testing/test-tokens';
import mongoose, { mongo } from 'mongoose';
import { createMessageStore } from '../src/store/message-store.ts';
import {
  benchDatabase,
  benchStores,
  createGroup,
  preloadMessages,
  reportName,
  type Store,
  sendersInPairs,
  startMessageService,
} from './bench-stores.ts';

const loads = (process.env.BENCH_LOADS ?? '100,250,500,1000,2000').split(',').map(Number);
const seconds = Number(process.env.BENCH_SECONDS ?? 4);
const repeats = Number(process.env.BENCH_REPEATS ?? 3);
const preload = Number(process.env.BENCH_PRELOAD ?? 100_000);

const issuer = createTestTokenIssuer();

/** Message-shaped documents per second that concurrent insertMany calls reach on `store`. */
async function rawCeiling(store: Store) {
  const database = benchDatabase(store, 'ceiling');
  const connection = await mongoose.createConnection(database.url).asPromise();
  try {
    // The service's own model, so the scratch collection has exactly the messages' indexes.
    const [model] = createMessageStore(connection).models;
    await model?.init();
    const collection = connection.collection('messages');
    const sender = new mongo.ObjectId();
    const conversations = Array.from({ length: 10 }, () => new mongo.ObjectId());
    let seq = 0;
    let inserted = 0;
    const until = performance.now() + seconds * 1000;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (performance.now() < until) {
          const docs = Array.from({ length: 100 }, () => {
            seq++;
            return {
              _id: new mongo.ObjectId(),
              conversationId: conversations[seq % 10],
              seq,
              block: Math.floor(seq / 50),
              senderId: sender,
              clientMessageId: randomUUID(),
              kind: 'text',
              body: `raw ${seq}`,
              attachments: [],
              createdAt: new Date(),
              editedAt: null,
              deletedAt: null,
            };
          });
          await collection.insertMany(docs, { ordered: false });
          inserted += docs.length;
        }
      }),
    );
    return inserted / ((performance.now() - started) / 1000);
  } finally {
    await connection.close();
    await database.drop();
  }
}

interface Setup {
  base: string;
  users: TestUser[];
  conversations: string[];
}

/** Offers `rate` sends/s for `seconds`: 20 senders over 10 conversations. */
async function offer(setup: Setup, rate: number) {
  const total = Math.round(rate * seconds);
  const latencies: number[] = [];
  let errors = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const sends: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = started + (i * 1000) / rate - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const user = setup.users[i % setup.users.length] as TestUser;
    const conversationId = setup.conversations[Math.floor((i % setup.users.length) / 2)] as string;
    sends.push(
      (async () => {
        const t0 = performance.now();
        const response = await fetch(`${setup.base}/conversations/${conversationId}/messages`, {
          method: 'POST',
          headers: { ...user.headers, 'content-type': 'application/json' },
          body: JSON.stringify({ clientMessageId: randomUUID(), body: `load ${i}` }),
        });
        await response.arrayBuffer();
        if (response.status === 201) latencies.push(performance.now() - t0);
        else errors++;
      })().catch(() => {
        errors++;
      }),
    );
  }
  await Promise.all(sends);
  const elapsed = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  latencies.sort((a, b) => a - b);
  return {
    acked: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors,
    clientCpu: (used.user + used.system) / 1e6 / elapsed,
  };
}

async function sweep(setup: Setup) {
  const cells = [];
  for (const rate of loads) {
    const runs = [];
    for (let r = 0; r < repeats; r++) runs.push(await offer(setup, rate));
    cells.push({
      rate,
      acked: median(runs.map((x) => x.acked)),
      p50: median(runs.map((x) => x.p50)),
      p99: median(runs.map((x) => x.p99)),
      errors: runs.reduce((sum, x) => sum + x.errors, 0),
      clientCpu: median(runs.map((x) => x.clientCpu)),
    });
    const c = cells.at(-1) as (typeof cells)[number];
    console.log(
      `  offered ${rate}/s: acked ${c.acked.toFixed(0)}/s, p50 ${c.p50.toFixed(1)} ms, p99 ${c.p99.toFixed(1)} ms, errors ${c.errors}, load generator ${(c.clientCpu * 100).toFixed(0)}% of a core`,
    );
  }
  return cells;
}

const { stores, backends, stop } = await benchStores();
const jwks = await issuer.serve();
const body: string[] = [];
try {
  for (const store of stores) {
    console.log(`[${store.name}] raw driver ceiling`);
    const ceiling = await rawCeiling(store);
    console.log(`  insertMany, 8 writers × 100 documents: ${ceiling.toFixed(0)} docs/s`);

    const database = benchDatabase(store, 'messages');
    const service = await startMessageService(database, backends, jwks.url);
    try {
      const setup = await sendersInPairs(service.url, () => issuer.mint());
      const { users, conversations } = setup;
      console.log(`[${store.name}] empty store`);
      const empty = await sweep(setup);
      const others: string[] = [];
      for (let c = 0; c < 40; c++)
        others.push(
          await createGroup(service.url, users[0] as TestUser, [users[1] as TestUser], `other ${c}`),
        );
      const t0 = performance.now();
      await preloadMessages(database.url, [...conversations, ...others], (users[0] as TestUser).id, preload);
      console.log(
        `[${store.name}] after preloading ${preload.toLocaleString('en')} messages (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
      );
      const full = await sweep(setup);

      const best = (cells: typeof empty) =>
        Math.max(0, ...cells.filter((c) => c.p99 <= 100 && c.errors === 0).map((c) => c.acked));
      body.push(
        `## ${store.name}`,
        '',
        `Raw driver ceiling: **${ceiling.toFixed(0)} docs/s** (insertMany, 8 writers × 100 message-shaped documents, the messages' indexes).`,
        '',
        ...tableHead(
          '| offered msg/s | acked/s (empty) | p50 | p99 | errors | acked/s (100k stored) | p50 | p99 | errors | p50 ratio 100k ÷ empty |',
        ),
        ...empty.map((e, i) => {
          const f = full[i] as (typeof full)[number];
          return `| ${e.rate} | ${e.acked.toFixed(0)} | ${e.p50.toFixed(1)} | ${e.p99.toFixed(1)} | ${e.errors} | ${f.acked.toFixed(0)} | ${f.p50.toFixed(1)} | ${f.p99.toFixed(1)} | ${f.errors} | ${(f.p50 / e.p50).toFixed(2)}× |`;
        }),
        '',
        `Best acked rate with p99 ≤ 100 ms and no errors: ${best(empty).toFixed(0)}/s empty (${((best(empty) / ceiling) * 100).toFixed(0)}% of the raw ceiling), ${best(full).toFixed(0)}/s with ${preload.toLocaleString('en')} stored. Load generator: ${(Math.max(...full.map((c) => c.clientCpu)) * 100).toFixed(0)}% of a core at most.`,
        '',
      );
    } finally {
      await service.stop();
      await database.drop();
    }
  }
  await writeBenchmarkReport(reportName('messages', stores), {
    title: 'Message send benchmark',
    command: `pnpm bench:messages (BENCH_STORES=${stores.map((s) => s.name).join(',')}, BENCH_LOADS=${loads.join(',')}, BENCH_SECONDS=${seconds}, BENCH_REPEATS=${repeats}, BENCH_PRELOAD=${preload})`,
    setup: [
      'Full path: HTTP → token check → membership lookup → batcher → outbox entries + ordered insert (≤ 100 per insert) → head → ack; then `message.created` published with confirms and the outbox entries deleted.',
      'Open loop, 20 senders over 10 groups; one message-service process (SEND_BATCH_MAX 256, window 2 ms). Cells are medians of the repeats; latencies in ms.',
      '`default` is the local stack store (FerretDB v1 on PostgreSQL with GIN twins of its indexes); `sqlite` is FerretDB v1 on SQLite, started by the benchmark.',
      'Load generator, service, store and RabbitMQ share the same 2 cores. Targets: ≥ 1,000 acked msg/s at p99 ≤ 100 ms, ≥ 50% of the raw ceiling, ≤ 1.5× slower at 100k stored than empty.',
    ],
    body,
  });
} finally {
  await jwks.close();
  await stop();
}
