/**
 * pnpm bench:overload — the send path offered more than it can store: does it shed the
 * excess quickly and keep the sends it accepts fast, and how soon is it normal again?
 *
 * One message-service process on the default store. First the sustainable rate: the
 * highest of BENCH_RAMP offered loads acknowledged with p99 ≤ 250 ms and nothing refused
 * (or BENCH_SUSTAINABLE). Then 2× and 5× that, open loop for BENCH_SECONDS each, through a
 * kept-alive connections opened as needed, as the edge does. After each overload
 * phase a probe of 20 sends/s measures how long until sends are normal again (every probe
 * in a whole second acknowledged within 2× the sustainable run's p99).
 */
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { requestStartHeader } from '@palaver/service-kit';
import { tableHead, writeBenchmarkReport } from '@palaver/testing/benchmark-report';
import { percentile } from '@palaver/testing/process-tools';
import { createTestTokenIssuer, type TestUser } from '@palaver/testing/test-tokens';
import { benchDatabase, benchStores, sendersInPairs, startMessageService } from './bench-stores.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 60);
const ramp = (process.env.BENCH_RAMP ?? '100,200,300,400,500,600').split(',').map(Number);
const factors = [2, 5];
// Kept-alive connections opened as needed, as the edge does, up to more than the service
// works on at once (SEND_IN_FLIGHT_MAX): the excess must reach it to be refused.
const agent = new Agent({ keepAlive: true, maxSockets: 1024 });

interface Outcome {
  status: number;
  ms: number;
  retryAfter: boolean;
  at: number;
}

/** One send over the shared pool; status 0 is a network error. */
function send(base: string, user: TestUser, conversationId: string): Promise<Outcome> {
  const started = performance.now();
  const body = JSON.stringify({ clientMessageId: randomUUID(), body: 'overload' });
  return new Promise((resolve) => {
    const req = request(
      `${base}/conversations/${conversationId}/messages`,
      {
        method: 'POST',
        agent,
        headers: {
          ...user.headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          // Stamped as the edge stamps every request it passes on.
          'x-request-start': requestStartHeader(),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            ms: performance.now() - started,
            retryAfter: res.headers['retry-after'] !== undefined,
            at: performance.now(),
          }),
        );
      },
    );
    req.on('error', () =>
      resolve({ status: 0, ms: performance.now() - started, retryAfter: false, at: performance.now() }),
    );
    req.end(body);
  });
}

interface Setup {
  base: string;
  users: TestUser[];
  conversations: string[];
}

/** Offers `rate` sends/s for `durationS` (open loop); resolves when every answer is in. */
async function offer(setup: Setup, rate: number, durationS: number) {
  const total = Math.round(rate * durationS);
  const started = performance.now();
  const answers: Promise<Outcome>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = started + (i * 1000) / rate - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const u = i % setup.users.length;
    answers.push(
      send(setup.base, setup.users[u] as TestUser, setup.conversations[Math.floor(u / 2)] as string),
    );
  }
  return {
    answers: Promise.all(answers),
    offeredFor: (performance.now() - started) / 1000,
    stoppedAt: performance.now(),
  };
}

function summarise(outcomes: Outcome[], offeredFor: number) {
  const ms = (list: Outcome[]) => list.map((o) => o.ms).sort((a, b) => a - b);
  const accepted = outcomes.filter((o) => o.status === 201);
  const refused = outcomes.filter((o) => o.status === 503 || o.status === 429);
  const other = outcomes.length - accepted.length - refused.length;
  return {
    accepted: accepted.length / offeredFor,
    acceptedP50: percentile(ms(accepted), 50),
    acceptedP99: percentile(ms(accepted), 99),
    refused: refused.length / offeredFor,
    refusedP50: percentile(ms(refused), 50),
    refusedP99: percentile(ms(refused), 99),
    withRetryAfter: refused.length === 0 ? 1 : refused.filter((o) => o.retryAfter).length / refused.length,
    other,
  };
}

/**
 * Probes at 20/s from the moment the overload stopped offering; returns the seconds until
 * the first whole second whose probes were all acknowledged within `normalMs`.
 */
async function recovery(setup: Setup, normalMs: number, offeringStoppedAt: number, maxSeconds = 30) {
  const probes: (Outcome & { sentAt: number })[] = [];
  const until = offeringStoppedAt + maxSeconds * 1000;
  const pending: Promise<void>[] = [];
  for (let i = 0; performance.now() < until; i++) {
    const sentAt = performance.now();
    const u = i % setup.users.length;
    pending.push(
      send(setup.base, setup.users[u] as TestUser, setup.conversations[Math.floor(u / 2)] as string).then(
        (o) => {
          probes.push({ ...o, sentAt });
        },
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Stop early once three whole seconds in a row were normal.
    const normalSince = firstNormalSecond(probes, normalMs, offeringStoppedAt);
    if (normalSince !== undefined && sentAt - offeringStoppedAt > (normalSince + 3) * 1000) break;
  }
  await Promise.all(pending);
  return firstNormalSecond(probes, normalMs, offeringStoppedAt);
}

function firstNormalSecond(probes: (Outcome & { sentAt: number })[], normalMs: number, from: number) {
  const bySecond = new Map<number, boolean>();
  for (const probe of probes) {
    const second = Math.floor((probe.sentAt - from) / 1000);
    const ok = probe.status === 201 && probe.ms <= normalMs;
    bySecond.set(second, (bySecond.get(second) ?? true) && ok);
  }
  const seconds = [...bySecond.keys()].sort((a, b) => a - b);
  // The first second from which every later one was normal too.
  let first: number | undefined;
  for (const second of seconds) {
    if (bySecond.get(second)) first ??= second;
    else first = undefined;
  }
  return first;
}

const issuer = createTestTokenIssuer();
const { stores, backends, stop } = await benchStores();
const jwks = await issuer.serve();
const store = stores[0];
if (!store) throw new Error('no store to benchmark');
const database = benchDatabase(store, 'overload');
const service = await startMessageService(database, backends, jwks.url);
try {
  const setup = await sendersInPairs(service.url, () => issuer.mint());

  let sustainable = Number(process.env.BENCH_SUSTAINABLE ?? 0);
  let normalP99 = 0;
  const rampRows: string[] = [];
  for (const rate of sustainable > 0 ? [sustainable] : ramp) {
    const run = await offer(setup, rate, 8);
    const s = summarise(await run.answers, run.offeredFor);
    rampRows.push(
      `| ${rate} | ${s.accepted.toFixed(0)} | ${s.acceptedP50.toFixed(0)} | ${s.acceptedP99.toFixed(0)} | ${s.refused.toFixed(0)} | ${s.other} |`,
    );
    console.log(
      `ramp ${rate}/s: accepted ${s.accepted.toFixed(0)}/s p99 ${s.acceptedP99.toFixed(0)} ms, refused ${s.refused.toFixed(0)}/s`,
    );
    if (s.acceptedP99 <= 250 && s.refused === 0 && s.other === 0) {
      sustainable = rate;
      normalP99 = s.acceptedP99;
    } else if (process.env.BENCH_SUSTAINABLE === undefined) break;
  }
  if (sustainable === 0) throw new Error('no offered rate of the ramp was sustainable');
  const normalMs = Math.max(50, 2 * normalP99);
  console.log(
    `sustainable: ${sustainable}/s (p99 ${normalP99.toFixed(0)} ms); normal means ≤ ${normalMs.toFixed(0)} ms`,
  );

  const rows: string[] = [];
  for (const factor of factors) {
    await new Promise((resolve) => setTimeout(resolve, 5_000)); // let the previous phase settle
    const rate = sustainable * factor;
    const run = await offer(setup, rate, seconds);
    // Probing starts as soon as the overload stops offering, while its answers drain.
    const [outcomes, recoveredIn] = await Promise.all([
      run.answers,
      recovery(setup, normalMs, run.stoppedAt),
    ]);
    const s = summarise(outcomes, run.offeredFor);
    const row = `| ${factor}× (${rate}/s) | ${s.accepted.toFixed(0)} | ${s.acceptedP50.toFixed(0)} | ${s.acceptedP99.toFixed(0)} | ${s.refused.toFixed(0)} | ${s.refusedP50.toFixed(1)} | ${s.refusedP99.toFixed(1)} | ${(s.withRetryAfter * 100).toFixed(0)}% | ${s.other} | ${recoveredIn === undefined ? 'not within 30 s' : `${recoveredIn} s`} |`;
    rows.push(row);
    console.log(row);
  }

  await writeBenchmarkReport('overload', {
    title: 'Overload benchmark',
    command: `pnpm bench:overload (BENCH_SECONDS=${seconds}, ${process.env.BENCH_SUSTAINABLE ? `BENCH_SUSTAINABLE=${sustainable}` : `BENCH_RAMP=${ramp.join(',')}`})`,
    setup: [
      'One message-service process on the default store (FerretDB v1 on PostgreSQL), default shedding settings (SEND_QUEUE_TIME_MAX_MS, SEND_IN_FLIGHT_MAX, SEND_QUEUE_MAX, SEND_DEADLINE); sends unmetered per user; each request stamped with X-Request-Start as the edge does.',
      'Open loop over kept-alive connections opened as needed (up to 1,024), 20 senders over 10 groups; load generator, service, store and RabbitMQ share the same 2 cores.',
      `Sustainable: the highest ramp rate (8 s each) acknowledged with p99 ≤ 250 ms and nothing refused. "Back to normal": from the moment the overload stops offering, the first whole second after which every probe (20/s) is acknowledged within ${normalMs.toFixed(0)} ms (2× the sustainable p99, at least 50 ms).`,
    ],
    body: [
      '## Finding the sustainable rate',
      '',
      ...tableHead('| offered/s | accepted/s | p50 ms | p99 ms | refused/s | other errors |'),
      ...rampRows,
      '',
      `Sustainable: **${sustainable}/s**.`,
      '',
      `## Overload, ${seconds} s each`,
      '',
      ...tableHead(
        '| offered | accepted/s | accepted p50 ms | accepted p99 ms | refused/s | refusal p50 ms | refusal p99 ms | refusals with Retry-After | other errors | back to normal after the load stops |',
      ),
      ...rows,
      '',
    ],
  });
} finally {
  agent.destroy();
  await service.stop();
  await database.drop();
  await jwks.close();
  await stop();
}
