import type { Message } from '@palaver/contracts';
import { MessageError } from '../errors.ts';
import type { MembershipStore } from '../store/membership-store.ts';
import type { MessageStore } from '../store/message-store.ts';
import type { ReactionStore } from '../store/reaction-store.ts';
import type { ConversationAccess, ConversationEvents } from './conversation-access.ts';
import type { MessageViews } from './message-views.ts';
import { memberIdsOf } from './views.ts';

/** Emoji reactions on messages: one per emoji per member, added and taken back. */
export function createReactions(deps: {
  messages: MessageStore;
  reactions: ReactionStore;
  memberships: MembershipStore;
  access: ConversationAccess;
  events: ConversationEvents;
  views: MessageViews;
}) {
  const { messages, reactions, memberships, access, events, views } = deps;

  async function change(
    conversationId: string,
    callerId: string,
    seq: number,
    emoji: string,
    reacted: boolean,
  ): Promise<Message> {
    const membership = await access.membershipOf(conversationId, callerId);
    const message = await messages.findBySeq(membership.conversationId, seq);
    if (!message || message.kind === 'system') throw new MessageError('not_found', 'No such message');
    if (message.deletedAt) throw new MessageError('message_deleted', 'The message was deleted');
    // Recorded before the change: once it is made, its announcement survives a crash.
    const recorded = await events.record([
      {
        type: 'message.reaction',
        conversationId: message.conversationId,
        data: {
          conversationId,
          messageId: message._id.toHexString(),
          seq,
          emoji,
          userId: callerId,
          reacted,
          memberIds: memberIdsOf(await memberships.ofConversation(message.conversationId)),
        },
      },
    ]);
    let changed: boolean;
    if (reacted) {
      const { added, full } = await reactions.add(message, callerId, emoji);
      if (full) {
        await events.discard(recorded);
        throw new MessageError(
          'too_many_reactions',
          'This message has as many different reactions as it can hold',
        );
      }
      changed = added;
    } else {
      changed = await reactions.remove(message._id, callerId, emoji);
    }
    if (changed) events.publish(recorded);
    else await events.discard(recorded); // it was so already: nothing to announce
    return views.viewOne(message);
  }

  return {
    /** Adds the caller's reaction (idempotent); answers with the message as it is now. */
    react: (conversationId: string, callerId: string, seq: number, emoji: string) =>
      change(conversationId, callerId, seq, emoji, true),
    /** Takes the caller's reaction back (idempotent). */
    unreact: (conversationId: string, callerId: string, seq: number, emoji: string) =>
      change(conversationId, callerId, seq, emoji, false),
  };
}

export type Reactions = ReturnType<typeof createReactions>;
