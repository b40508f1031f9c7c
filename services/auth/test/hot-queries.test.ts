import { collectionScans, isolatedEnvironment, whyNoIndexWalks } from '@palaver/testing';
import mongoose, { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSessionStore } from '../src/store/session-store.ts';
import { createUserStore } from '../src/store/user-store.ts';

/** Every query on the login, refresh, search and sweep paths walks an index on real MongoDB. */
let connection: mongoose.Connection;
let skipReason: string | null = null;
beforeAll(async () => {
  connection = await mongoose.createConnection(isolatedEnvironment('hotq').mongoDatabaseUrl).asPromise();
  skipReason = await whyNoIndexWalks(connection);
  if (skipReason) {
    console.log(`hot query index walks: skipped, ${skipReason}`);
    return;
  }
  await createUserStore(connection).model.init();
  await Promise.all(createSessionStore(connection).models.map((model) => model.init()));
});
afterAll(async () => {
  await connection?.dropDatabase().catch(() => undefined);
  await connection?.close();
});

describe('hot auth queries on MongoDB', () => {
  it('are index walks, never collection scans', async (context) => {
    if (skipReason) return context.skip();
    const now = new Date();
    const scans = await collectionScans(connection, [
      { collection: 'users', filter: { _id: new Types.ObjectId() } },
      { collection: 'users', filter: { username: 'ada' } },
      { collection: 'users', filter: { username: { $gt: 'a' } }, sort: { username: 1 }, limit: 20 },
      { collection: 'sessions', filter: { _id: 'sid' } },
      { collection: 'sessions', filter: { revocationPublished: false }, sort: { revokedAt: 1 }, limit: 100 },
      { collection: 'sessions', filter: { expiresAt: { $lt: now }, revocationPublished: true } },
      { collection: 'refresh_tokens', filter: { _id: 'digest' } },
      { collection: 'refresh_tokens', filter: { parent: 'digest' } },
      { collection: 'refresh_tokens', filter: { expiresAt: { $lt: now } } },
    ]);
    expect(scans).toEqual([]);
  });
});
