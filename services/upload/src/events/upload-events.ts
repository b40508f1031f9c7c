import type { EventData } from '@palaver/contracts';
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
          name: record.name,
          mime: record.mime,
          size: record.size,
          ...(record.width ? { width: record.width } : {}),
          ...(record.height ? { height: record.height } : {}),
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
    });

  return { onStored, startEventRelay };
}

/**
 * Learns who may read an upload: the conversations it was sent in (`message.created`)
 * and their members, kept current by membership events. Every handler is idempotent
 * ($addToSet, newer-wins member lists), so redelivery changes nothing.
 */
export async function consumeConversationEvents(deps: {
  broker: Broker;
  uploads: UploadStore;
  queuePrefix: string;
}) {
  const { uploads } = deps;
  await deps.broker.consume({
    queue: `${deps.queuePrefix}.conversations`,
    bindings: ['message.created', 'conversation.member_added', 'conversation.member_removed'],
    handle: async (event) => {
      if (event.type === 'message.created') {
        const { message, memberIds } = event.data as EventData<'message.created'>;
        const uploadIds = message.attachments.map((attachment) => attachment.uploadId);
        // Members are recorded first, so access never points at an unknown conversation.
        await uploads.rememberMembers(
          message.conversationId,
          memberIds,
          new Date(message.createdAt),
          uploadIds.length > 0,
        );
        if (uploadIds.length > 0) await uploads.attachTo(uploadIds, message.conversationId);
        return;
      }
      const { conversation, memberIds } = event.data as EventData<
        'conversation.member_added' | 'conversation.member_removed'
      >;
      await uploads.rememberMembers(conversation.id, memberIds, new Date(conversation.updatedAt), false);
    },
  });
}
