import type { MentionStore } from '../store/mention-store.ts';
import type { ConversationAccess, ConversationEvents, ConversationStores } from './conversation-access.ts';
import { memberIdsOf } from './views.ts';

const receiptEvents = { read: 'conversation.read', delivered: 'message.delivered' } as const;

/**
 * Read and delivery receipts: per member marks that only move forward, capped at the
 * conversation's last seq. Reading up to a seq also means it was delivered.
 */
export function createReceipts(
  deps: ConversationStores & {
    mentions: MentionStore;
    access: ConversationAccess;
    events: ConversationEvents;
  },
) {
  const { conversations, memberships, mentions, access, events } = deps;

  async function advance(id: string, callerId: string, seq: number, kind: 'read' | 'delivered') {
    const { conversation } = await access.loadForMember(id, callerId);
    const target = Math.min(seq, await conversations.lastSeqOf(conversation._id));
    if (await memberships.advanceMark(id, callerId, kind, target)) {
      if (kind === 'read') {
        await Promise.all([
          memberships.advanceMark(id, callerId, 'delivered', target),
          mentions.readUpTo(id, callerId, target),
        ]);
      }
      events.receipt(receiptEvents[kind], {
        conversationId: id,
        userId: callerId,
        seq: target,
        memberIds: memberIdsOf(await memberships.ofConversation(conversation._id)),
      });
    }
    return memberships.mark(id, callerId, kind);
  }

  return {
    markRead: async (id: string, callerId: string, seq: number) => ({
      conversationId: id,
      userId: callerId,
      lastReadSeq: await advance(id, callerId, seq, 'read'),
    }),

    markDelivered: async (id: string, callerId: string, seq: number) => ({
      conversationId: id,
      userId: callerId,
      lastDeliveredSeq: await advance(id, callerId, seq, 'delivered'),
    }),
  };
}

export type Receipts = ReturnType<typeof createReceipts>;
