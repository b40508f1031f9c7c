import type { Connection, Types } from 'mongoose';
import { defineMessageLog, openMessageLog } from './message-log.ts';

/**
 * Each change to a conversation's stored messages (an edit, a deletion, a reaction),
 * numbered from 1 per conversation without gaps: the change cursor `sync` resumes from.
 * A record names the message, not what changed: a reader sends the message as it is now,
 * so replaying a change twice is harmless.
 */
const changeLog = defineMessageLog({
  model: 'MessageChange',
  collection: 'message_changes',
  key: 'conversationId',
  number: 'changeSeq',
  oncePerMessage: false, // a message changes again and again
});

export function createChangeStore(connection: Connection) {
  const changes = openMessageLog(connection, changeLog);

  return {
    models: [changes.model],

    head: changes.head,

    /** Records a change to a message; returns its number. */
    append: (conversationId: Types.ObjectId, messageId: Types.ObjectId): Promise<number> =>
      changes.append(conversationId, { messageId, at: new Date() }),

    /** Changes numbered in [from, to], in order: one equality lookup per block. */
    range: changes.range,
  };
}

export type ChangeStore = ReturnType<typeof createChangeStore>;
