import type { Conversation, EventData } from '@palaver/contracts';
import { fileFacts } from '@palaver/contracts';
import { type Broker, type Relay, startRelay } from '@palaver/events';
import type { Logger } from '@palaver/logger';
import type { UploadRecord, UploadStore } from '../store/upload-store.ts';

/**
 * Publishes `upload.created` for uploads stored with a pending mark, then clears the
 * mark. A failed publish loses nothing: the relay finds the mark and tries again, with
 * the same event id, so the message service's upsert sees one upload.
 */
export function createUploadEventPublisher(deps: { broker: Broker; uploads: UploadStore; logger: Logger }) {
  const { broker, uploads, logger } = deps;

  async function publish(record: UploadRecord) {
    const id = record._id.toHexString();
    await broker.publish(
      'upload.created',
      {
        upload: {
          uploadId: id,
          uploaderId: record.uploaderId.toHexString(),
          ...fileFacts(record),
        },
      },
      `upload.created:${id}`,
    );
    await uploads.markPublished(record._id);
  }

  const onStored = (records: UploadRecord[]) => {
    if (!broker.connected) return;
    for (const record of records) {
      publish(record).catch((err) =>
        logger.warn({ err }, 'upload.created not published yet; the relay will retry'),
      );
    }
  };

  const startEventRelay = (intervalMs: number): Relay =>
    startRelay({
      intervalMs,
      logger,
      pending: async () => (broker.connected ? uploads.withPendingEvents(100) : []),
      publish,
      key: (record) => record._id.toHexString(),
      // Each upload is announced once and on its own: no order to keep between them.
      lane: (record) => record._id.toHexString(),
      broker,
    });

  return { onStored, startEventRelay };
}

/**
 * Learns who may read an upload: the messages it was sent in and the members of their
 * conversations, as the message service announces them. Every fact is its own document,
 * inserted or deleted under its key, so redelivery and reordering change nothing.
 */
export async function consumeConversationEvents(deps: {
  broker: Broker;
  uploads: UploadStore;
  queuePrefix: string;
}) {
  const { uploads } = deps;
  const membershipsOf = (conversation: Conversation, userIds?: string[]) =>
    conversation.members
      .filter((member) => !userIds || userIds.includes(member.userId))
      .map((member) => ({
        conversationId: conversation.id,
        userId: member.userId,
        joinedAt: new Date(member.joinedAt),
      }));
  await deps.broker.consume({
    queue: `${deps.queuePrefix}.conversations`,
    bindings: [
      'message.created',
      'message.deleted',
      'conversation.created',
      'conversation.member_added',
      'conversation.member_removed',
    ],
    handle: async (event) => {
      switch (event.type) {
        case 'message.created': {
          const { message } = event.data as EventData<'message.created'>;
          const uploadIds = message.attachments.map((attachment) => attachment.uploadId);
          if (uploadIds.length > 0) await uploads.attach(uploadIds, message.id, message.conversationId);
          return;
        }
        case 'message.deleted': {
          const { message } = event.data as EventData<'message.deleted'>;
          await uploads.detachMessage(message.id);
          return;
        }
        case 'conversation.created': {
          const { conversation } = event.data as EventData<'conversation.created'>;
          await uploads.join(membershipsOf(conversation));
          return;
        }
        case 'conversation.member_added': {
          const { conversation, userIds } = event.data as EventData<'conversation.member_added'>;
          await uploads.join(membershipsOf(conversation, userIds));
          return;
        }
        case 'conversation.member_removed': {
          const { conversation, userId, joinedAt } = event.data as EventData<'conversation.member_removed'>;
          await uploads.leave({ conversationId: conversation.id, userId, joinedAt: new Date(joinedAt) });
          return;
        }
      }
    },
  });
}
