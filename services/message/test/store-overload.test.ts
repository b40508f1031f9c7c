import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { isolatedEnvironment } from '@palaver/testing';
import mongoose from 'mongoose';
import { describe, expect, it } from 'vitest';

/**
 * An overload killed mid-way once left the embedded store hung (pooled connections idle,
 * new queries never answered). Here a process floods the store with concurrent writes and
 * reads on many connections, is killed with SIGKILL in the middle, and the store must
 * answer a fresh client at once.
 */
const require = createRequire(import.meta.url);
const flood = `
const { MongoClient } = require(${JSON.stringify(require.resolve('mongodb', { paths: [require.resolve('mongoose')] }))});
const client = new MongoClient(process.env.URL, { maxPoolSize: 300 });
const col = client.db().collection('flood');
let n = 0;
for (let w = 0; w < 300; w++) {
  (async () => {
    for (;;) {
      const docs = Array.from({ length: 50 }, () => ({ w, n: n++, body: 'x'.repeat(200) }));
      await col.insertMany(docs, { ordered: false }).catch(() => {});
      await col.find({ w }).limit(20).toArray().catch(() => {});
    }
  })();
}
setInterval(() => process.stdout.write('.'), 100);
`;

describe('the embedded store after an aborted overload', () => {
  it('answers a new client at once when a flooding process is killed mid-way', async () => {
    const env = isolatedEnvironment('overload');
    const child = spawn(process.execPath, ['-e', flood], {
      env: { PATH: process.env.PATH ?? '', URL: env.mongoDatabaseUrl },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    // Let it get going: connections opened, writes in flight.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    child.kill('SIGKILL');
    await once(child, 'exit');

    const connection = await mongoose
      .createConnection(env.mongoDatabaseUrl, { serverSelectionTimeoutMS: 5000, socketTimeoutMS: 5000 })
      .asPromise();
    try {
      const started = performance.now();
      await connection.db?.admin().ping();
      const probe = connection.collection('probe');
      await probe.insertOne({ alive: true });
      expect(await probe.findOne({ alive: true })).toMatchObject({ alive: true });
      expect(await connection.collection('flood').countDocuments()).toBeGreaterThan(0);
      expect(performance.now() - started).toBeLessThan(5000);
    } finally {
      await connection.dropDatabase().catch(() => undefined);
      await connection.close();
    }
  }, 60_000);
});
