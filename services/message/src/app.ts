import type { Broker, Relay } from '@palaver/events';
import type { Logger } from '@palaver/logger';
import {
  type AccessTokenVerifier,
  backendReadiness,
  createServiceAppFrom,
  installRequestGate,
  type ServiceKit,
} from '@palaver/service-kit';
import type { Redis } from 'ioredis';
import type { Connection } from 'mongoose';
import { createUploadLookup } from './clients/upload-client.ts';
import { createUserLookup } from './clients/user-lookup.ts';
import type { MessageConfig } from './config.ts';
import { createBlocks } from './domain/blocks.ts';
import { createConversationAccess } from './domain/conversation-access.ts';
import { createConversations } from './domain/conversations.ts';
import { createMembership } from './domain/membership.ts';
import { createMentionResolver } from './domain/mentions.ts';
import { createMessageAppender, type MessageAppender } from './domain/message-appender.ts';
import { createMessageViews } from './domain/message-views.ts';
import { createMessages } from './domain/messages.ts';
import { createPeople } from './domain/people.ts';
import { createReactions } from './domain/reactions.ts';
import { createReceipts } from './domain/receipts.ts';
import { createSendRateLimit } from './domain/send-rate-limit.ts';
import { createThreads } from './domain/threads.ts';
import { messageErrors } from './errors.ts';
import { consumeUploadEvents, createEventPublisher } from './events/message-events.ts';
import { blockRoutes } from './routes/block-routes.ts';
import { conversationRoutes } from './routes/conversation-routes.ts';
import { membershipRoutes } from './routes/membership-routes.ts';
import { messageRoutes } from './routes/message-routes.ts';
import { createBlockStore } from './store/block-store.ts';
import { createChangeStore } from './store/change-store.ts';
import { createConversationStore } from './store/conversation-store.ts';
import { createKnownUserStore } from './store/known-user-store.ts';
import { createMembershipStore } from './store/membership-store.ts';
import { createMentionStore } from './store/mention-store.ts';
import { createMessageStore } from './store/message-store.ts';
import { createOutboxStore } from './store/outbox-store.ts';
import { createOwnershipStore } from './store/ownership-store.ts';
import { createReactionStore } from './store/reaction-store.ts';
import { createThreadStore } from './store/thread-store.ts';

export type MessageAppConfig = Pick<
  MessageConfig,
  | 'LOG_LEVEL'
  | 'TRUST_PROXY'
  | 'SEND_RATE'
  | 'SEND_BURST'
  | 'SEND_BATCH_MAX'
  | 'SEND_BATCH_WINDOW_MS'
  | 'SEND_QUEUE_MAX'
  | 'SEND_IN_FLIGHT_MAX'
  | 'SEND_QUEUE_TIME_MAX_MS'
  | 'SEND_DEADLINE'
  | 'REQUESTS_IN_FLIGHT_MAX'
  | 'REQUESTS_QUEUED_MAX'
  | 'REQUEST_QUEUE_TIME_MAX_MS'
  | 'RELAY_INTERVAL'
  | 'QUEUE_PREFIX'
  | 'UPLOAD_URL'
  | 'AUTH_URL'
  | 'REDIS_PREFIX'
>;

export interface MessageDependencies {
  mongo: Connection;
  /** Send budgets; also where ended sessions are listed (read by `verifyAccessToken`). No keyPrefix. */
  redis: Redis;
  broker: Broker;
  verifyAccessToken: AccessTokenVerifier;
  logger?: Logger;
}

export interface MessageApp extends ServiceKit {
  relay: Relay;
  appender: MessageAppender;
}

// Over 80 lines as a whole: wiring only, one step per part, read top to bottom.
/** Builds the message service from config and connected dependencies; does not listen. */
export async function buildMessageApp(
  config: MessageAppConfig,
  deps: MessageDependencies,
): Promise<MessageApp> {
  const kit = await createServiceAppFrom(config, deps, {
    service: 'message',
    api: 'messages',
    description:
      'Conversations, history, sending and receipts. Behind the edge every path is prefixed with /api.',
    errors: messageErrors,
    readiness: backendReadiness(deps),
  });
  const { app, authenticate } = kit;
  const logger = app.log as Logger;

  const stores = {
    messages: createMessageStore(deps.mongo),
    conversations: createConversationStore(deps.mongo),
    memberships: createMembershipStore(deps.mongo),
  };
  const reactionStore = createReactionStore(deps.mongo);
  const changes = createChangeStore(deps.mongo);
  const threadStore = createThreadStore(deps.mongo);
  const views = createMessageViews({
    messages: stores.messages,
    reactions: reactionStore,
    threads: threadStore,
  });
  const mentionStore = createMentionStore(deps.mongo);
  const blockStore = createBlockStore(deps.mongo);
  const ownerships = createOwnershipStore(deps.mongo);
  const outbox = createOutboxStore(deps.mongo);
  const knownUsers = createKnownUserStore(deps.mongo);
  const people = createPeople({ knownUsers, lookup: createUserLookup(config.AUTH_URL || undefined) });
  const publisher = createEventPublisher({
    broker: deps.broker,
    ...stores,
    threads: threadStore,
    views,
    changes,
    outbox,
    logger,
  });
  const appender = createMessageAppender({
    ...stores,
    outbox,
    maxBatch: config.SEND_BATCH_MAX,
    windowMs: config.SEND_BATCH_WINDOW_MS,
    maxQueue: config.SEND_QUEUE_MAX,
    deadlineMs: config.SEND_DEADLINE * 1000,
    onStored: publisher.onStored,
  });
  const access = createConversationAccess(stores);
  const events = publisher.conversationEvents;
  const blocks = createBlocks({ blocks: blockStore, memberships: stores.memberships, events, people });
  const conversations = createConversations({
    ...stores,
    mentions: mentionStore,
    views,
    access,
    events,
    people,
    blocks,
  });
  const membership = createMembership({ ...stores, ownerships, access, events, appender, people, blocks });
  const receipts = createReceipts({ ...stores, mentions: mentionStore, access, events });
  const reactions = createReactions({ ...stores, reactions: reactionStore, access, events, views });
  const threads = createThreads({ ...stores, threads: threadStore, access, events, views });
  const messages = createMessages({
    ...stores,
    reactions: reactionStore,
    threadStore,
    threads,
    views,
    changes,
    mentions: mentionStore,
    resolveMentions: createMentionResolver({ people, memberships: stores.memberships }),
    blocks,
    access,
    appender,
    events: publisher.messageEvents,
    lookupUploads: createUploadLookup(config.UPLOAD_URL || undefined),
  });

  installRequestGate(
    app,
    {
      inFlightMax: config.REQUESTS_IN_FLIGHT_MAX,
      queuedMax: config.REQUESTS_QUEUED_MAX,
      queueTimeMaxMs: config.REQUEST_QUEUE_TIME_MAX_MS,
    },
    kit.metrics,
  );
  conversationRoutes(app, { conversations, membership, receipts, authenticate });
  blockRoutes(app, { blocks, authenticate });
  membershipRoutes(app, {
    conversationIdsOf: async (userId) =>
      (await stores.memberships.ofUser(userId)).map((record) => record.conversationId.toHexString()),
    authenticate,
  });
  const sendRate = createSendRateLimit({
    redis: deps.redis,
    prefix: config.REDIS_PREFIX,
    perSecond: config.SEND_RATE,
    burst: config.SEND_BURST,
  });
  messageRoutes(app, {
    messages,
    reactions,
    threads,
    authenticate,
    sendRate,
    maxSendsInFlight: config.SEND_IN_FLIGHT_MAX,
    maxQueueTimeMs: config.SEND_QUEUE_TIME_MAX_MS,
  });

  const models: Array<{ init: () => Promise<unknown> }> = [
    ...stores.messages.models,
    ...stores.conversations.models,
    ...stores.memberships.models,
    ...outbox.models,
    ...knownUsers.models,
    ...reactionStore.models,
    ...mentionStore.models,
    ...blockStore.models,
    ...ownerships.models,
    ...changes.models,
    ...threadStore.models,
  ];
  await Promise.all(models.map((model) => model.init()));
  await consumeUploadEvents({
    broker: deps.broker,
    messages: stores.messages,
    queuePrefix: config.QUEUE_PREFIX,
  });

  const relay = publisher.startEventRelay(config.RELAY_INTERVAL * 1000);
  app.addHook('onClose', async () => {
    await appender.drain();
    await relay.stop();
  });
  return { ...kit, relay, appender };
}
