import { pageLimits, type ThreadPage, type ThreadQuery } from '@palaver/contracts';
import type { Types } from 'mongoose';
import { MessageError } from '../errors.ts';
import type { MembershipStore } from '../store/membership-store.ts';
import type { MessageRecord, MessageStore } from '../store/message-store.ts';
import type { ThreadStore } from '../store/thread-store.ts';
import type { ConversationAccess, ConversationEvents } from './conversation-access.ts';
import type { MessageViews } from './message-views.ts';
import { memberIdsOf } from './views.ts';

/** The places [from, to] a thread page covers, and whether more lie beyond it. */
function placesOf(query: ThreadQuery, replyCount: number) {
  const limit = query.limit ?? pageLimits.thread.default;
  if (query.after !== undefined) {
    const to = Math.min(replyCount, query.after + limit);
    return { from: query.after + 1, to, hasMore: to < replyCount };
  }
  const to = Math.min(replyCount, (query.before ?? replyCount + 1) - 1);
  const from = Math.max(1, to - limit + 1);
  return { from, to, hasMore: from > 1 };
}

/**
 * Threads: replies grouped under a root message. A reply is a message of the conversation
 * (its seq, unread and sync as any other) that also takes the next place in its root's
 * thread; the root shows the reply count, last reply time and participants.
 */
export function createThreads(deps: {
  messages: MessageStore;
  threads: ThreadStore;
  memberships: MembershipStore;
  access: ConversationAccess;
  events: ConversationEvents;
  views: MessageViews;
}) {
  const { messages, threads, memberships, access, events, views } = deps;

  /** A message that can be replied to: in the conversation, not a system line, not deleted. */
  async function repliable(conversationId: Types.ObjectId, seq: number) {
    const message = await messages.findBySeq(conversationId, seq);
    if (!message || message.kind === 'system') {
      throw new MessageError('not_found', 'No such message to reply to', { seq });
    }
    if (message.deletedAt) throw new MessageError('message_deleted', 'The message was deleted', { seq });
    return message;
  }

  return {
    repliable,

    /** The root a reply posts under: the message itself, or its root when it is in a thread already. */
    async rootFor(conversationId: Types.ObjectId, seq: number): Promise<MessageRecord> {
      const target = await repliable(conversationId, seq);
      return target.threadRootSeq ? repliable(conversationId, target.threadRootSeq) : target;
    },

    /** Places a stored reply in its root's thread and announces the root's new summary. */
    async attach(root: MessageRecord, reply: MessageRecord) {
      // Recorded first: a crash after this still numbers the reply when the relay replays it.
      const recorded = await events.record([
        {
          type: 'message.thread',
          conversationId: root.conversationId,
          data: {
            conversationId: root.conversationId.toHexString(),
            rootId: root._id.toHexString(),
            rootSeq: root.seq,
            replyId: reply._id.toHexString(),
            memberIds: memberIdsOf(await memberships.ofConversation(root.conversationId)),
          },
        },
      ]);
      await threads.addReply(root, reply);
      events.publish(recorded);
    },

    async page(
      conversationId: string,
      callerId: string,
      seq: number,
      query: ThreadQuery,
    ): Promise<ThreadPage> {
      if (query.before !== undefined && query.after !== undefined) {
        throw new MessageError('invalid_request', 'Give either before or after, not both');
      }
      const membership = await access.membershipOf(conversationId, callerId);
      const root = await messages.findBySeq(membership.conversationId, seq);
      if (!root || root.kind === 'system' || root.threadRootSeq) {
        throw new MessageError('not_found', 'No such thread', { seq });
      }
      const { from, to, hasMore } = placesOf(query, await threads.replyCount(root._id));
      const placed = await threads.range(root._id, from, to);
      const replies = (await Promise.all(placed.map((reply) => messages.findById(reply.messageId)))).filter(
        (reply): reply is MessageRecord => reply !== null,
      );
      const [rootView, ...replyViews] = await views.view([root, ...replies]);
      return { root: rootView as ThreadPage['root'], replies: replyViews, from, hasMore };
    },
  };
}

export type Threads = ReturnType<typeof createThreads>;
