import { randomUUID } from 'node:crypto';
import type { Broker } from '@palaver/events';
import type { Logger } from '@palaver/logger';
import type { Connection } from 'mongoose';
import { createMessageViews } from '../domain/message-views.ts';
import { createConversationStore } from '../store/conversation-store.ts';
import { createMessageStore } from '../store/message-store.ts';
import { createReactionStore } from '../store/reaction-store.ts';
import { createThreadStore } from '../store/thread-store.ts';

/** Messages read, viewed and published at a time (one history block). */
const chunk = 50;

/**
 * Publishes every stored message as it is now (`message.snapshot`), conversation by
 * conversation in seq order, for a read model to rebuild from: the search index, after
 * its database was lost or for messages sent before it first ran. Consumers apply a
 * snapshot as they apply any state of a message (newer wins), so a replay while messages
 * are sent and edited loses nothing; no client receives snapshots.
 */
export async function replayMessages(deps: { mongo: Connection; broker: Broker; logger: Logger }) {
  const messages = createMessageStore(deps.mongo);
  const conversations = createConversationStore(deps.mongo);
  const reactions = createReactionStore(deps.mongo);
  const threads = createThreadStore(deps.mongo);
  const views = createMessageViews({ messages, reactions, threads });
  const run = randomUUID();
  const totals = { conversations: 0, messages: 0 };
  for await (const { _id: id } of conversations.eachId()) {
    // The head can trail a send that raced it: the messages themselves say how far they go.
    const last = await messages.highestSeqFrom(id, await conversations.lastSeqOf(id));
    for (let from = 1; from <= last; from += chunk) {
      const to = Math.min(last, from + chunk - 1);
      const [stored, reacted, summaries] = await Promise.all([
        messages.range(id, from, to),
        reactions.range(id, from, to),
        threads.summariesIn(id, from, to),
      ]);
      const shown = await views.view(
        stored.filter((message) => message.kind !== 'system'),
        { reactions: reacted, threads: summaries },
      );
      await Promise.all(
        shown.map((message) =>
          deps.broker.publish('message.snapshot', { message }, `message.snapshot:${message.id}:${run}`),
        ),
      );
      totals.messages += shown.length;
    }
    totals.conversations++;
    if (totals.conversations % 1000 === 0) deps.logger.info(totals, 'replaying messages');
  }
  return totals;
}
