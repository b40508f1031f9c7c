import { collectionScans, isolatedEnvironment, whyNoIndexWalks } from '@palaver/testing';
import mongoose, { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUploadStore } from '../src/store/upload-store.ts';

/** Every query on the download, access, relay and sweep paths walks an index on real MongoDB. */
let connection: mongoose.Connection;
let skipReason: string | null = null;
beforeAll(async () => {
  connection = await mongoose.createConnection(isolatedEnvironment('hotq').mongoDatabaseUrl).asPromise();
  skipReason = await whyNoIndexWalks(connection);
  if (skipReason) {
    console.log(`hot query index walks: skipped, ${skipReason}`);
    return;
  }
  await Promise.all(
    (createUploadStore(connection).models as Array<{ init: () => Promise<unknown> }>).map((model) =>
      model.init(),
    ),
  );
});
afterAll(async () => {
  await connection?.dropDatabase().catch(() => undefined);
  await connection?.close();
});

describe('hot upload-service queries on MongoDB', () => {
  it('are index walks, never collection scans', async (context) => {
    if (skipReason) return context.skip();
    const id = new Types.ObjectId();
    const scans = await collectionScans(connection, [
      { collection: 'uploads', filter: { _id: id } },
      { collection: 'uploads', filter: { eventPending: true }, limit: 100 },
      { collection: 'uploads', filter: { sha256: 'f'.repeat(64) } },
      { collection: 'uploads', filter: { 'thumbnail.sha256': 'f'.repeat(64) } },
      { collection: 'upload_attachments', filter: { uploadId: id } },
      { collection: 'upload_attachments', filter: { messageId: id } },
      { collection: 'upload_members', filter: { userId: id } },
      { collection: 'upload_members', filter: { _id: `${id}:${id}:1` } },
      { collection: 'upload_departures', filter: { _id: `${id}:${id}:1` } },
      {
        collection: 'upload_unsent',
        filter: { createdAt: { $lt: new Date() } },
        sort: { createdAt: 1 },
        limit: 100,
      },
    ]);
    expect(scans).toEqual([]);
  });
});
