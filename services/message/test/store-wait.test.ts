import { createServiceApp } from '@palaver/service-kit';
import { dropMongoDatabase, isolatedEnvironment } from '@palaver/testing';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The driver's wait for a pooled connection is bounded (connect-backends.ts); on the real
// store, an operation that outwaits it is refused 503 like any store outage, not a bug.
const env = isolatedEnvironment('store-wait');
let connection: mongoose.Connection;
beforeAll(async () => {
  // One connection and a 50 ms wait: of 300 reads at once, those at the back cannot get it.
  connection = await mongoose
    .createConnection(env.mongoDatabaseUrl, { maxPoolSize: 1, waitQueueTimeoutMS: 50 })
    .asPromise();
  // The pool's one connection is open (opening it may itself outlast the wait on a busy machine).
  for (let attempt = 0; ; attempt++) {
    const opened = await connection
      .collection('things')
      .findOne({})
      .then(
        () => true,
        () => attempt >= 20,
      );
    if (opened) break;
  }
});
afterAll(async () => {
  await dropMongoDatabase(env.mongoDatabaseUrl);
  await connection.close();
});

describe('a store busier than its wait', () => {
  it('fails the operations that waited too long, and the service answers them 503 unavailable', async () => {
    const things = connection.collection('things');
    const outcomes = await Promise.allSettled(Array.from({ length: 300 }, () => things.findOne({})));
    const failures = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.map((error) => (error as Error).name)).toContain('MongoWaitQueueTimeoutError');
    expect(outcomes.some((outcome) => outcome.status === 'fulfilled')).toBe(true);

    const kit = await createServiceApp({
      service: 'store-wait',
      logger: 'silent',
      openapi: { title: 'test', version: '1', docsPath: '/docs/json' },
    });
    kit.app.get('/read', () => Promise.reject(failures[0]));
    const answer = await kit.app.inject({ method: 'GET', url: '/read' });
    await kit.app.close();
    expect(answer.statusCode).toBe(503);
    expect(answer.headers['retry-after']).toBe('1');
    expect(answer.json()).toMatchObject({ error: { code: 'unavailable' } });
  });
});
