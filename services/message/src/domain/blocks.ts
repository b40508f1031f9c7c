import { Types } from 'mongoose';
import { MessageError } from '../errors.ts';
import type { BlockStore } from '../store/block-store.ts';
import type { MembershipStore } from '../store/membership-store.ts';
import type { ConversationEvents } from './conversation-access.ts';
import type { People } from './people.ts';

const blockedError = () => new MessageError('blocked', 'One of you has blocked the other');

// Over 80 lines as a whole: a factory whose methods (each short) share its dependencies.
/**
 * Blocking: the blocker and the blocked open no new direct conversation with each other,
 * send nothing into the one they have, see no presence either way, and the blocked cannot
 * add the blocker to groups. Checked where each of those happens, with lookups by id.
 */
export function createBlocks(deps: {
  blocks: BlockStore;
  memberships: MembershipStore;
  events: ConversationEvents;
  people: People;
}) {
  const { blocks, memberships, events } = deps;

  /** The member count of the smallest conversation the two share, if any (presence is shared up to a size). */
  async function smallestShared(a: string, b: string): Promise<number | undefined> {
    const [mine, theirs] = await Promise.all([memberships.ofUser(a), memberships.ofUser(b)]);
    const theirIds = new Set(theirs.map((m) => m.conversationId.toHexString()));
    const shared = mine.filter((m) => theirIds.has(m.conversationId.toHexString()));
    const sizes = await Promise.all(
      shared.map(async (m) => (await memberships.ofConversation(m.conversationId)).length),
    );
    return sizes.length > 0 ? Math.min(...sizes) : undefined;
  }

  async function change(callerId: string, userId: string, blocked: boolean) {
    if (userId === callerId) throw new MessageError('cannot_block_self', 'You cannot block yourself');
    // Presence resumes on unblocking only if the other has not blocked the caller too.
    const resumes = !blocked && !(await blocks.between(callerId, userId)).bBlockedA;
    const sharedSize = resumes ? await smallestShared(callerId, userId) : undefined;
    const recorded = await events.record([
      {
        type: 'user.blocked',
        conversationId: null,
        data: {
          blockerId: callerId,
          blockedId: userId,
          blocked,
          ...(sharedSize ? { sharedSize } : {}),
          memberIds: [callerId],
        },
      },
    ]);
    const changed = blocked ? await blocks.block(callerId, userId) : await blocks.unblock(callerId, userId);
    if (changed) events.publish(recorded);
    else await events.discard(recorded);
  }

  return {
    /** Blocks a person (idempotent). */
    async block(callerId: string, userId: string, onBehalfOf: string | undefined) {
      await deps.people.assertExist([userId], onBehalfOf);
      await change(callerId, userId, true);
    },

    unblock: (callerId: string, userId: string) => change(callerId, userId, false),

    /** Whom the caller blocked, latest first. */
    list: async (callerId: string) => ({
      blocks: (await blocks.blockedBy(callerId)).map((b) => ({
        userId: b.blockedId.toHexString(),
        blockedAt: b.at.toISOString(),
      })),
    }),

    /** Throws 403 `blocked` if either has blocked the other. */
    async assertNeither(a: string, b: string) {
      const { aBlockedB, bBlockedA } = await blocks.between(a, b);
      if (aBlockedB || bBlockedA) throw blockedError();
    },

    /** Throws 403 `blocked` (listing them) if any of `userIds` blocked the caller. */
    async assertNotBlockedBy(callerId: string, userIds: string[]) {
      const found = await Promise.all(userIds.map((id) => blocks.between(id, callerId)));
      const blockers = userIds.filter((_, i) => found[i]?.aBlockedB);
      if (blockers.length > 0) {
        throw new MessageError('blocked', 'Some of these people blocked you', { userIds: blockers });
      }
    },

    /** Everyone in a block with the user, either way. */
    relationsOf: (userId: string) => blocks.relationsOf(userId),

    /** The other person of a direct conversation, from its key. */
    otherOfDirect: (uniqueKey: string, callerId: string) =>
      uniqueKey
        .split(':')
        .slice(1)
        .find((id) => id !== callerId && Types.ObjectId.isValid(id)),
  };
}

export type Blocks = ReturnType<typeof createBlocks>;
