import { afterEach, describe, expect, it } from 'vitest';
import { requestStartHeader } from './queue-time-limit.ts';
import { installRequestGate, type RequestGateOptions } from './request-gate.ts';
import { createServiceApp, type ServiceKit } from './service-app.ts';

/** A handler that runs until its test lets it finish. */
class Hold {
  started: string[] = [];
  finished: string[] = [];
  running = 0;
  mostAtOnce = 0;
  private releases = new Map<string, () => void>();

  async work(name: string) {
    this.started.push(name);
    this.mostAtOnce = Math.max(this.mostAtOnce, ++this.running);
    await new Promise<void>((resolve) => this.releases.set(name, resolve));
    this.running--;
    this.finished.push(name);
    return { name };
  }

  release(name: string) {
    this.releases.get(name)?.();
  }

  async untilStarted(...names: string[]) {
    await expect.poll(() => names.every((name) => this.started.includes(name))).toBe(true);
  }
}

let kit: ServiceKit | undefined;
afterEach(async () => {
  await kit?.app.close();
  kit = undefined;
});

async function gatedServer(options: Partial<RequestGateOptions>) {
  const hold = new Hold();
  kit = await createServiceApp({
    service: 'gate-test',
    logger: 'silent',
    openapi: { title: 'test', version: '1', docsPath: '/docs/json' },
  });
  installRequestGate(
    kit.app,
    { inFlightMax: 1, queuedMax: 100, queueTimeMaxMs: 60_000, ...options },
    kit.metrics,
  );
  kit.app.get('/work/:name', async (request) => hold.work((request.params as { name: string }).name));
  kit.app.get('/own/:name', { config: { ungated: true } }, async (request) =>
    hold.work((request.params as { name: string }).name),
  );
  const base = await kit.app.listen({ host: '127.0.0.1', port: 0 });
  const get = (path: string, init: RequestInit = {}) => fetch(`${base}${path}`, init);
  const shed = async () =>
    ((await kit?.metrics.getSingleMetric('request_gate_shed_total')?.get())?.values ?? []).map((v) => [
      v.labels.reason,
      v.value,
    ]);
  return { hold, get, shed };
}

const refusal = { error: { code: 'unavailable', message: expect.any(String) } };

describe('the request gate', () => {
  it('runs at most inFlightMax handlers at once and answers every request in line', async () => {
    const { hold, get } = await gatedServer({ inFlightMax: 2 });
    const answers = ['a', 'b', 'c', 'd', 'e'].map((name) => get(`/work/${name}`));
    await hold.untilStarted('a', 'b');
    for (const name of ['a', 'b', 'c', 'd', 'e']) {
      await hold.untilStarted(name);
      expect(hold.running).toBeLessThanOrEqual(2);
      hold.release(name);
    }
    const statuses = await Promise.all(answers.map(async (answer) => (await answer).status));
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    expect(hold.mostAtOnce).toBe(2);
  });

  it('holds the slot of a request whose caller left until its handler settles', async () => {
    const { hold, get } = await gatedServer({});
    const leaving = new AbortController();
    const first = get('/work/first', { signal: leaving.signal }).catch((error: Error) => error.name);
    await hold.untilStarted('first');
    leaving.abort();
    expect(await first).toBe('AbortError');
    const second = get('/work/second');
    // Give the second every chance to start early: it must not while the first still runs.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(hold.started).toEqual(['first']);
    hold.release('first');
    await hold.untilStarted('second');
    expect(hold.finished).toEqual(['first']);
    hold.release('second');
    expect((await second).status).toBe(200);
  });

  it('skips, without running it, a request whose caller left while it waited', async () => {
    const { hold, get, shed } = await gatedServer({});
    const first = get('/work/first');
    await hold.untilStarted('first');
    const leaving = new AbortController();
    const gone = get('/work/gone', { signal: leaving.signal }).catch((error: Error) => error.name);
    await new Promise((resolve) => setTimeout(resolve, 100));
    leaving.abort();
    expect(await gone).toBe('AbortError');
    // The server learns of the closed connection on its next read of that socket.
    await new Promise((resolve) => setTimeout(resolve, 100));
    hold.release('first');
    expect((await first).status).toBe(200);
    const after = get('/work/after');
    await hold.untilStarted('after');
    hold.release('after');
    expect((await after).status).toBe(200);
    expect(hold.started).toEqual(['first', 'after']);
    expect(await shed()).toEqual([['caller_gone', 1]]);
  });

  it('refuses at once, with 503 and Retry-After, past the length of the line', async () => {
    const { hold, get, shed } = await gatedServer({ queuedMax: 1 });
    const first = get('/work/first');
    await hold.untilStarted('first');
    const queued = get('/work/queued');
    await expect.poll(async () => (await get('/work/refused')).status).toBe(503);
    const refused = await get('/work/refused');
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toEqual(refusal);
    hold.release('first');
    await hold.untilStarted('queued');
    hold.release('queued');
    expect([(await first).status, (await queued).status]).toEqual([200, 200]);
    expect(hold.started).toEqual(['first', 'queued']);
    expect((await shed())[0]?.[0]).toBe('queue_full');
  });

  it('refuses instead of running a request that waited past the limit, counting its caller stamp', async () => {
    const { hold, get, shed } = await gatedServer({ queueTimeMaxMs: 150 });
    const first = get('/work/first');
    await hold.untilStarted('first');
    const late = get('/work/late');
    await new Promise((resolve) => setTimeout(resolve, 300));
    hold.release('first');
    const answer = await late;
    expect(answer.status).toBe(503);
    expect(await answer.json()).toEqual(refusal);
    // A free slot, but stamped by its caller longer ago than the limit.
    const stale = await get('/work/stale', {
      headers: { 'x-request-start': requestStartHeader(Date.now() - 1_000) },
    });
    expect(stale.status).toBe(503);
    expect(hold.started).toEqual(['first']);
    expect((await first).status).toBe(200);
    expect(await shed()).toEqual([['waited_too_long', 2]]);
  });

  it('leaves ungated routes alone', async () => {
    const { hold, get } = await gatedServer({});
    const gated = get('/work/gated');
    await hold.untilStarted('gated');
    const own = get('/own/own');
    await hold.untilStarted('own');
    expect(hold.running).toBe(2);
    hold.release('own');
    hold.release('gated');
    expect([(await gated).status, (await own).status]).toEqual([200, 200]);
  });
});
