/**
 * pnpm bench:handoff — how the gateway should hand a send to the message service:
 * internal HTTP (keep-alive fetch, what the gateway does) or RabbitMQ request/reply
 * (direct reply-to). Both carry the same JSON to the same echo process, so the store's cost
 * (identical either way) is left out and only the hand-off is compared. Closed loop at
 * several concurrencies; both designs take turns; cells are medians of BENCH_REPEATS runs.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { median, tableHead, writeBenchmarkReport } from '@palaver/testing/benchmark-report';
import { provisionInfrastructure } from '@palaver/testing/infrastructure';
import { percentile, startServiceProcess } from '@palaver/testing/process-tools';
import amqp from 'amqplib';

const levels = (process.env.BENCH_CONCURRENCY ?? '1,8,32').split(',').map(Number);
const durationMs = Number(process.env.BENCH_SECONDS ?? 3) * 1000;
const repeats = Number(process.env.BENCH_REPEATS ?? 3);
const payload = {
  clientMessageId: 'bench-0001',
  body: 'A message of ordinary length, about the size people type into a chat window.',
};

type Call = () => Promise<unknown>;

/** Runs `call` in `concurrency` loops for the duration; returns calls/s and latencies. */
async function closedLoop(concurrency: number, call: Call) {
  const latencies: number[] = [];
  const until = performance.now() + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const started = performance.now();
        await call();
        latencies.push(performance.now() - started);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return {
    perSecond: latencies.length / (durationMs / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

async function main() {
  const { infra, stop } = await provisionInfrastructure();
  const queue = `bench.handoff.${randomUUID()}`;
  const echo = await startServiceProcess(fileURLToPath(new URL('./handoff-echo.ts', import.meta.url)), {
    AMQP_URL: infra.amqpUrl,
    RPC_QUEUE: queue,
  });
  const connection = await amqp.connect(infra.amqpUrl, { noDelay: true });
  const channel = await connection.createChannel();
  const pending = new Map<string, (body: Buffer) => void>();
  await channel.consume(
    'amq.rabbitmq.reply-to',
    (message) => {
      if (!message) return;
      pending.get(message.properties.correlationId)?.(message.content);
      pending.delete(message.properties.correlationId);
    },
    { noAck: true },
  );

  const designs: Record<string, Call> = {
    http: async () => {
      const response = await fetch(`${echo.url}/conversations/c1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
        body: JSON.stringify(payload),
      });
      await response.json();
    },
    rabbitmq: () =>
      new Promise((resolve) => {
        const correlationId = randomUUID();
        pending.set(correlationId, (body) => resolve(JSON.parse(body.toString())));
        channel.sendToQueue(queue, Buffer.from(JSON.stringify(payload)), {
          correlationId,
          replyTo: 'amq.rabbitmq.reply-to',
          contentType: 'application/json',
        });
      }),
  };
  try {
    // Warm both paths (connections, JIT) before measuring.
    for (const call of Object.values(designs)) for (let i = 0; i < 200; i++) await call();
    const rows: string[] = [];
    for (const concurrency of levels) {
      const runs: Record<string, Awaited<ReturnType<typeof closedLoop>>[]> = { http: [], rabbitmq: [] };
      for (let r = 0; r < repeats; r++) {
        const order = r % 2 ? ['rabbitmq', 'http'] : ['http', 'rabbitmq'];
        for (const name of order) runs[name]?.push(await closedLoop(concurrency, designs[name] as Call));
      }
      const cell = (name: string) => ({
        perSecond: median((runs[name] ?? []).map((x) => x.perSecond)),
        p50: median((runs[name] ?? []).map((x) => x.p50)),
        p99: median((runs[name] ?? []).map((x) => x.p99)),
      });
      const [http, rabbit] = [cell('http'), cell('rabbitmq')];
      rows.push(
        `| ${concurrency} | ${http.perSecond.toFixed(0)} | ${http.p50.toFixed(2)} | ${http.p99.toFixed(2)} | ${rabbit.perSecond.toFixed(0)} | ${rabbit.p50.toFixed(2)} | ${rabbit.p99.toFixed(2)} | ${(http.perSecond / rabbit.perSecond).toFixed(2)}× |`,
      );
      console.log(rows.at(-1));
    }
    await writeBenchmarkReport('handoff', {
      title: 'Send hand-off, gateway → message: internal HTTP versus RabbitMQ request/reply',
      command: `BENCH_CONCURRENCY=${levels.join(',')} BENCH_SECONDS=${durationMs / 1000} BENCH_REPEATS=${repeats} pnpm bench:handoff`,
      setup: [
        `RabbitMQ via ${infra.source}; the echo side is one separate process serving both transports.`,
        'HTTP: Node fetch (undici, keep-alive) to Fastify. RabbitMQ: amqplib with TCP_NODELAY on both ends, direct reply-to, correlation ids, one channel.',
        'Closed loop; latency in ms per round trip; cells are medians of the repeats.',
      ],
      body: [
        ...tableHead(
          '| concurrent sends | HTTP/s | HTTP p50 | HTTP p99 | RabbitMQ/s | RabbitMQ p50 | RabbitMQ p99 | HTTP ÷ RabbitMQ throughput |',
        ),
        ...rows,
      ],
    });
  } finally {
    await connection.close();
    await echo.stop();
    await stop();
  }
}

await main();
