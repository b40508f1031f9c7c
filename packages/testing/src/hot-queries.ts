import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectionScans, type HotQuery, whyNoIndexWalks } from './index-walks.ts';
import { isolatedEnvironment } from './isolation.ts';

/**
 * A test file's check that its service's hot queries walk an index on real MongoDB: builds
 * the service's models (so their indexes exist) and explains each query; skipped, with the
 * reason printed, on a store whose explain cannot tell (FerretDB).
 */
export function describeHotQueries(
  service: string,
  initModels: (connection: mongoose.Connection) => Promise<unknown>,
  queries: () => HotQuery[],
) {
  let connection: mongoose.Connection;
  let skipReason: string | null = null;
  beforeAll(async () => {
    connection = await mongoose.createConnection(isolatedEnvironment('hotq').mongoDatabaseUrl).asPromise();
    skipReason = await whyNoIndexWalks(connection);
    if (skipReason) console.log(`${service} hot query index walks: skipped, ${skipReason}`);
    else await initModels(connection);
  });
  afterAll(async () => {
    await connection?.dropDatabase().catch(() => undefined);
    await connection?.close();
  });

  describe(`hot ${service} queries on MongoDB`, () => {
    it('are index walks, never collection scans', async (context) => {
      if (skipReason) return context.skip();
      expect(await collectionScans(connection, queries())).toEqual([]);
    });
  });
}
