import { collectionScans, isolatedEnvironment, whyNoIndexWalks } from '@palaver/testing';
import mongoose, { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConversationStore } from '../src/store/conversation-store.ts';
import { createMembershipStore } from '../src/store/membership-store.ts';
import { createMessageStore } from '../src/store/message-store.ts';
import { createOutboxStore } from '../src/store/outbox-store.ts';

/** Every query on the send, history, list and relay paths walks an index on real MongoDB. */
let connection: mongoose.Connection;
let skipReason: string | null = null;
beforeAll(async () => {
  connection = await mongoose.createConnection(isolatedEnvironment('hotq').mongoDatabaseUrl).asPromise();
  skipReason = await whyNoIndexWalks(connection);
  if (skipReason) {
    console.log(`hot query index walks: skipped, ${skipReason}`);
    return;
  }
  const models = [
    ...createMessageStore(connection).models,
    ...createConversationStore(connection).models,
    ...createMembershipStore(connection).models,
    ...createOutboxStore(connection).models,
  ] as Array<{ init: () => Promise<unknown> }>;
  await Promise.all(models.map((model) => model.init()));
});
afterAll(async () => {
  await connection?.dropDatabase().catch(() => undefined);
  await connection?.close();
});

const id = new Types.ObjectId();
const user = new Types.ObjectId();

describe('hot message-service queries on MongoDB', () => {
  it('are index walks, never collection scans', async (context) => {
    if (skipReason) return context.skip();
    const scans = await collectionScans(connection, [
      { collection: 'messages', filter: { _id: id } },
      { collection: 'messages', filter: { conversationId: id, seq: 7 } },
      { collection: 'messages', filter: { conversationId: id, block: 3 } },
      { collection: 'messages', filter: { senderId: user, clientMessageId: 'c1' } },
      { collection: 'known_uploads', filter: { _id: id } },
      { collection: 'conversations', filter: { _id: id } },
      { collection: 'conversations', filter: { uniqueKey: `direct:${id}:${user}` } },
      { collection: 'conversation_heads', filter: { _id: id } },
      { collection: 'memberships', filter: { _id: `${id}:${user}` } },
      { collection: 'memberships', filter: { conversationId: id } },
      { collection: 'memberships', filter: { userId: user } },
      { collection: 'read_marks', filter: { _id: `${id}:${user}:read` } },
      { collection: 'read_marks', filter: { conversationId: id } },
      { collection: 'read_marks', filter: { userId: user } },
      { collection: 'outbox', filter: { _id: 'message.created:batch:x' } },
      { collection: 'outbox', filter: {}, sort: { at: 1, _id: 1 }, limit: 200 },
    ]);
    expect(scans).toEqual([]);
  });
});
