import type { Types } from 'mongoose';
import { conversationNotFound } from '../errors.ts';
import type { ConversationRecord, ConversationStore } from '../store/conversation-store.ts';
import type { MembershipRecord, MembershipStore } from '../store/membership-store.ts';
import type { MessageStore } from '../store/message-store.ts';
import { type ConversationParts, memberIdsOf, toConversation } from './views.ts';

interface ConversationEvent {
  type:
    | 'conversation.created'
    | 'conversation.updated'
    | 'conversation.member_added'
    | 'conversation.member_removed'
    | 'conversation.muted'
    | 'message.reaction'
    | 'message.thread'
    | 'user.blocked';
  /** Null for events about users rather than a conversation (blocks). */
  conversationId: Types.ObjectId | null;
  data: object;
}

export interface RecordedEvent extends ConversationEvent {
  id: string;
}

/** Where conversation events go: stored in the outbox, then published (the relay retries). */
export interface ConversationEvents {
  /** Stores events; resolves once they are durable. */
  record: (events: ConversationEvent[]) => Promise<RecordedEvent[]>;
  /** Publishes recorded events now; failures are left to the relay. */
  publish: (events: RecordedEvent[]) => void;
  /** Forgets recorded events whose change did not happen. */
  discard: (events: RecordedEvent[]) => Promise<void>;
  /** Publishes a receipt; receipts are state marks, so a lost one is superseded by the next. */
  receipt: (
    type: 'conversation.read' | 'message.delivered',
    receipt: { conversationId: string; userId: string; seq: number; memberIds: string[] },
  ) => void;
}

export interface ConversationStores {
  conversations: ConversationStore;
  memberships: MembershipStore;
  messages: MessageStore;
}

/**
 * Who is in a conversation and what it looks like: the checks every route starts with and
 * the view they answer with. A non-member and a missing conversation look the same.
 */
export function createConversationAccess(stores: ConversationStores) {
  const { conversations, memberships, messages } = stores;

  /** The caller's membership (one lookup by id): all a send needs to know. */
  async function membershipOf(id: string, userId: string): Promise<MembershipRecord> {
    const membership = await memberships.find(id, userId);
    if (!membership) throw conversationNotFound();
    return membership;
  }

  async function loadForMember(
    id: string,
    userId: string,
  ): Promise<{ conversation: ConversationRecord; membership: MembershipRecord }> {
    const [membership, conversation] = await Promise.all([
      memberships.find(id, userId),
      conversations.findById(id),
    ]);
    if (!membership || !conversation) throw conversationNotFound();
    return { conversation, membership };
  }

  async function parts(conversation: ConversationRecord): Promise<ConversationParts> {
    const [head, members, marks] = await Promise.all([
      conversations.head(conversation._id, conversation.createdAt),
      memberships.ofConversation(conversation._id),
      memberships.marksOf(conversation._id),
    ]);
    // Two replicas advancing the head at once can leave it a seq behind (updates are not
    // isolated on FerretDB): one view reads past it, one indexed lookup when it is exact.
    const lastSeq = await messages.highestSeqFrom(conversation._id, head.lastSeq);
    return { conversation, head: lastSeq > head.lastSeq ? { ...head, lastSeq } : head, members, marks };
  }

  return {
    membershipOf,
    loadForMember,
    parts,
    present: async (conversation: ConversationRecord) => toConversation(await parts(conversation)),
  };
}

export type ConversationAccess = ReturnType<typeof createConversationAccess>;

/**
 * Announces a conversation as it is now (`conversation.created` or `.updated`) to its
 * members, recorded before it is published, and returns that view.
 */
export function createViewAnnouncer(access: ConversationAccess, events: ConversationEvents) {
  return async (type: 'conversation.created' | 'conversation.updated', conversation: ConversationRecord) => {
    const parts = await access.parts(conversation);
    const view = toConversation(parts);
    const recorded = await events.record([
      {
        type,
        conversationId: conversation._id,
        data: { conversation: view, memberIds: memberIdsOf(parts.members) },
      },
    ]);
    events.publish(recorded);
    return view;
  };
}
