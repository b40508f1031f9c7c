import { describeHotQueries, type HotQuery } from '@palaver/testing';
import { Types } from 'mongoose';
import { createConversationStore } from '../src/store/conversation-store.ts';
import { createMembershipStore } from '../src/store/membership-store.ts';
import { createMessageStore } from '../src/store/message-store.ts';
import { createOutboxStore } from '../src/store/outbox-store.ts';

/** Every query on the send, history, list and relay paths walks an index on real MongoDB. */
const id = new Types.ObjectId();
const user = new Types.ObjectId();

describeHotQueries(
  'message-service',
  (connection) =>
    Promise.all(
      (
        [
          ...createMessageStore(connection).models,
          ...createConversationStore(connection).models,
          ...createMembershipStore(connection).models,
          ...createOutboxStore(connection).models,
        ] as Array<{ init: () => Promise<unknown> }>
      ).map((model) => model.init()),
    ),
  (): HotQuery[] => [
    { collection: 'messages', filter: { _id: id } },
    { collection: 'messages', filter: { conversationId: id, seq: 7 } },
    { collection: 'messages', filter: { conversationId: id, block: 3 } },
    { collection: 'messages', filter: { senderId: user, clientMessageId: 'c1' } },
    { collection: 'known_uploads', filter: { _id: id } },
    { collection: 'message_deletions', filter: { _id: id } },
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
  ],
);
