import {
  type ChangesQuery,
  fileFacts,
  type HistoryQuery,
  type Message,
  type MessageChanges,
  type MessagePage,
  pageLimits,
  type SendMessageBody,
} from '@palaver/contracts';
import { Types } from 'mongoose';
import { MessageError } from '../errors.ts';
import type { ChangeStore } from '../store/change-store.ts';
import type { ConversationStore } from '../store/conversation-store.ts';
import type { MentionStore } from '../store/mention-store.ts';
import type { KnownUploadRecord, MessageRecord, MessageStore } from '../store/message-store.ts';
import type { ReactionStore } from '../store/reaction-store.ts';
import type { ThreadStore } from '../store/thread-store.ts';
import type { Blocks } from './blocks.ts';
import type { ConversationAccess } from './conversation-access.ts';
import type { MentionResolver } from './mentions.ts';
import type { MessageAppender } from './message-appender.ts';
import { type MessageViews, newMessageParts } from './message-views.ts';
import type { Threads } from './threads.ts';

export interface MessageEvents {
  /** Records a change's event in the outbox; resolves once it is durable. */
  record: (type: 'message.updated' | 'message.deleted', message: MessageRecord) => Promise<string>;
  /** Publishes a recorded event now (the relay retries failures). */
  publish: (type: 'message.updated' | 'message.deleted', eventId: string, message: MessageRecord) => void;
  /** Forgets a recorded event whose change did not hold. */
  discard: (eventId: string) => Promise<void>;
}

/** Uploads the read model has not heard of yet: asked of the upload service itself. */
export type UploadLookup = (
  uploadIds: string[],
  senderId: string,
  onBehalfOf: string | undefined,
) => Promise<KnownUploadRecord[]>;

const toAttachment = (upload: KnownUploadRecord): MessageRecord['attachments'][number] => ({
  uploadId: upload._id,
  ...fileFacts(upload),
});

/** What a deleted message keeps: its row and seq, not its content. */
const tombstoneOf = (deletedAt: Date | null): Partial<MessageRecord> => ({
  body: null,
  attachments: [],
  deletedAt: deletedAt ?? new Date(),
});

const kindFor = (attachments: MessageRecord['attachments']): MessageRecord['kind'] => {
  if (attachments.length === 0) return 'text';
  return attachments.every((a) => a.mime.startsWith('image/')) ? 'image' : 'file';
};

// Over 80 lines as a whole: a factory whose methods (each short) share its dependencies.
/** Sending, history, edits and deletions. */
export function createMessages(deps: {
  messages: MessageStore;
  conversations: ConversationStore;
  reactions: ReactionStore;
  threadStore: ThreadStore;
  threads: Threads;
  views: MessageViews;
  changes: ChangeStore;
  mentions: MentionStore;
  resolveMentions: MentionResolver;
  blocks: Blocks;
  access: ConversationAccess;
  appender: MessageAppender;
  events: MessageEvents;
  lookupUploads: UploadLookup;
}) {
  const { messages, conversations, reactions, changes, mentions, access, appender, events, views } = deps;
  /** Everyone a message mentions but its sender: their unread mentions. */
  const othersMentioned = (message: MessageRecord) =>
    (message.mentions ?? []).map(String).filter((id) => id !== message.senderId.toHexString());

  async function ownMessage(conversationId: string, callerId: string, seq: number) {
    await access.membershipOf(conversationId, callerId);
    const message = await messages.findBySeq(conversationId, seq);
    if (!message || message.kind === 'system') throw new MessageError('not_found', 'No such message');
    if (!message.senderId.equals(callerId))
      throw new MessageError('forbidden', 'Only the sender can change a message');
    if (message.deletedAt) throw new MessageError('message_deleted', 'The message was deleted');
    return message;
  }

  /** Nothing goes into a direct conversation while either person blocks the other. */
  async function assertNotBlocked(conversationId: MessageRecord['conversationId'], senderId: string) {
    const kind = await conversations.kindOf(conversationId);
    if (kind?.type !== 'direct') return;
    const other = deps.blocks.otherOfDirect(kind.uniqueKey, senderId);
    if (other) await deps.blocks.assertNeither(senderId, other);
  }

  /** Attachments the sender uploaded, from the read model or else from the upload service. */
  async function attachmentsOf(
    senderId: string,
    uploadIds: string[],
    onBehalfOf: string | undefined,
  ): Promise<MessageRecord['attachments']> {
    if (uploadIds.length === 0) return [];
    const known = await messages.uploadsOf(senderId, uploadIds);
    const unknown = uploadIds.filter((id) => !known.some((u) => u._id.equals(id)));
    const fetched = unknown.length > 0 ? await deps.lookupUploads(unknown, senderId, onBehalfOf) : [];
    // What the upload service told is remembered, so the next send need not ask again.
    await Promise.all(fetched.map((upload) => messages.rememberUpload(upload)));
    const found = new Map(
      [...known, ...fetched].map((upload) => [upload._id.toHexString(), toAttachment(upload)]),
    );
    // Only files the sender uploaded; anything else looks like it does not exist.
    const missing = uploadIds.filter((id) => !found.has(id));
    if (missing.length > 0) {
      throw new MessageError('attachment_not_found', 'Unknown attachment', { uploadIds: missing });
    }
    return uploadIds.map((id) => found.get(id) as MessageRecord['attachments'][number]);
  }

  return {
    /** Stores a message once; a retry with the same clientMessageId returns the original. */
    async send(
      conversationId: string,
      senderId: string,
      input: SendMessageBody,
      /** The sender's credentials, to ask the upload service about uploads not yet known. */
      onBehalfOf?: string,
      /** Aborted when the caller gives up: a send not yet stored is then dropped. */
      signal?: AbortSignal,
    ): Promise<{ message: Message; created: boolean }> {
      if (input.body === undefined && input.attachments === undefined) {
        throw new MessageError('empty_message', 'A message needs a body or attachments');
      }
      appender.admit(); // shed overload before spending a lookup on it
      // Side by side (each a store round trip), but a non-member learns only that there is
      // no such conversation, whatever the block check found.
      const [member, unblocked] = await Promise.allSettled([
        access.membershipOf(conversationId, senderId),
        assertNotBlocked(new Types.ObjectId(conversationId), senderId),
      ]);
      if (member.status === 'rejected') throw member.reason;
      if (unblocked.status === 'rejected') throw unblocked.reason;
      const membership = member.value;
      const attachments = await attachmentsOf(
        senderId,
        input.attachments?.map((a) => a.uploadId) ?? [],
        onBehalfOf,
      );
      const body = input.body ?? null;
      const [quoted, root] = await Promise.all([
        input.replyToSeq ? deps.threads.repliable(membership.conversationId, input.replyToSeq) : null,
        input.threadRootSeq ? deps.threads.rootFor(membership.conversationId, input.threadRootSeq) : null,
      ]);
      const { message, created } = await appender.append({
        ...(signal ? { signal } : {}),
        conversationId: membership.conversationId,
        senderId,
        clientMessageId: input.clientMessageId,
        kind: kindFor(attachments),
        body,
        attachments,
        mentions: await deps.resolveMentions(membership.conversationId, body, onBehalfOf),
        replyTo: quoted && { messageId: quoted._id, seq: quoted.seq, senderId: quoted.senderId },
        threadRootSeq: root?.seq ?? null,
      });
      // On a retry too (idempotent): the first attempt may have died right after storing.
      await Promise.all([
        mentions.add(message, othersMentioned(message)),
        root && message.threadRootSeq === root.seq ? deps.threads.attach(root, message) : null,
      ]);
      // A new message's answer costs no lookup but its quote's: nothing reacted or replied yet.
      return { message: await views.viewOne(message, created ? newMessageParts() : {}), created };
    },

    async history(callerId: string, query: HistoryQuery): Promise<MessagePage> {
      if (query.before !== undefined && query.after !== undefined) {
        throw new MessageError('invalid_request', 'Give either before or after, not both');
      }
      const { conversationId: id } = await access.membershipOf(query.conversationId, callerId);
      const limit = query.limit ?? pageLimits.history.default;
      // Before the page: a change made while it is read is then after the cursor, not lost.
      const changeSeq = await changes.head(id);
      // Seqs are gapless from 1, so a page's seqs are known before it is read.
      const page = async (from: number, to: number) => {
        const [found, reacted, threads] = await Promise.all([
          messages.range(id, from, to),
          reactions.range(id, from, to),
          deps.threadStore.summariesIn(id, from, to),
        ]);
        return views.view(found, { reactions: reacted, threads });
      };
      if (query.after !== undefined) {
        const from = query.after + 1;
        const found = await page(from, from + limit);
        return { messages: found.slice(0, limit), hasMore: found.length > limit, changeSeq };
      }
      // The head is a hint that can trail a concurrent replica's send: probe past it.
      const before =
        query.before ?? (await messages.highestSeqFrom(id, await conversations.lastSeqOf(id))) + 1;
      const from = Math.max(1, before - limit);
      const found = await page(from, before - 1);
      return { messages: found.reverse(), hasMore: from > 1, changeSeq };
    },

    /** The messages changed after a change cursor, as they are now. */
    async changes(conversationId: string, callerId: string, query: ChangesQuery): Promise<MessageChanges> {
      const { conversationId: id } = await access.membershipOf(conversationId, callerId);
      const limit = query.limit ?? pageLimits.changes.default;
      // Numbers are gapless, so the page's are known before it is read (one more tells hasMore).
      const found = await changes.range(id, query.after + 1, query.after + limit + 1);
      const page = found.slice(0, limit);
      // Each message once, where its latest change in the page puts it.
      const latest = new Map(page.map((change) => [change.messageId.toHexString(), change.changeSeq]));
      const ids = [...latest.keys()].sort((a, b) => (latest.get(a) ?? 0) - (latest.get(b) ?? 0));
      const stored = await Promise.all(
        ids.map((messageId) => messages.findById(new Types.ObjectId(messageId))),
      );
      const changed = stored.filter((message): message is MessageRecord => message !== null);
      return {
        messages: await views.view(changed),
        changeSeq: page.at(-1)?.changeSeq ?? query.after,
        hasMore: found.length > limit,
      };
    },

    async edit(conversationId: string, callerId: string, seq: number, body: string, onBehalfOf?: string) {
      const message = await ownMessage(conversationId, callerId, seq);
      const mentioned = await deps.resolveMentions(message.conversationId, body, onBehalfOf);
      const eventId = await events.record('message.updated', message);
      const updated = await messages.change(message._id, { body, mentions: mentioned, editedAt: new Date() });
      if (!updated) throw new MessageError('not_found', 'No such message');
      if (await messages.wasDeleted(message._id)) {
        // A delete raced this edit and may have been overwritten by it: the delete wins (it
        // announces itself), and this edit never happened.
        await messages.change(message._id, tombstoneOf(updated.deletedAt));
        await events.discard(eventId);
        throw new MessageError('message_deleted', 'The message was deleted');
      }
      await Promise.all([
        mentions.add(updated, othersMentioned(updated)),
        mentions.remove(
          updated._id,
          othersMentioned(message).filter((id) => !othersMentioned(updated).includes(id)),
        ),
      ]);
      events.publish('message.updated', eventId, updated);
      return views.viewOne(updated);
    },

    /** Leaves a tombstone: the row and its seq stay, the content goes; a racing edit cannot bring it back. */
    async remove(conversationId: string, callerId: string, seq: number) {
      const message = await ownMessage(conversationId, callerId, seq);
      // The event first, then the deletion itself (which an edit cannot undo), then the tombstone.
      const eventId = await events.record('message.deleted', message);
      await messages.recordDeletion(message._id);
      const updated = await messages.change(message._id, tombstoneOf(null));
      if (!updated) throw new MessageError('not_found', 'No such message');
      events.publish('message.deleted', eventId, updated);
    },
  };
}

export type Messages = ReturnType<typeof createMessages>;
