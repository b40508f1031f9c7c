import {
  type Message,
  maxQuoteExcerptLength,
  type QuotedMessage,
  type ThreadSummary,
} from '@palaver/contracts';
import type { MessageRecord, MessageStore } from '../store/message-store.ts';
import type { ReactionRecord, ReactionStore } from '../store/reaction-store.ts';
import type { ThreadStore } from '../store/thread-store.ts';
import { toMessage } from './views.ts';

/** The start of a text, whole characters only, within the quote's length. */
export function excerptOf(body: string): string {
  let excerpt = '';
  for (const character of body) {
    if (excerpt.length + character.length > maxQuoteExcerptLength) break;
    excerpt += character;
  }
  return excerpt;
}

/** How a reply shows the message it quotes, as that message is now. */
export function toQuote(quoted: MessageRecord | null, reference: NonNullable<MessageRecord['replyTo']>) {
  const deleted = !quoted || quoted.deletedAt !== null;
  return {
    messageId: reference.messageId.toHexString(),
    seq: reference.seq,
    senderId: reference.senderId.toHexString(),
    kind: quoted?.kind ?? 'text',
    excerpt: deleted || quoted.body === null ? null : excerptOf(quoted.body),
    attachmentCount: deleted ? 0 : quoted.attachments.length,
    deleted,
  } satisfies QuotedMessage;
}

/** What a page already read of its messages' surroundings, so nothing is looked up twice. */
export interface KnownParts {
  reactions?: ReactionRecord[];
  threads?: Map<string, ThreadSummary | null>;
}

/** What a message just stored has around it: no reactions, no replies (a quote is still read). */
export const newMessageParts = (): KnownParts => ({ reactions: [], threads: new Map() });

/**
 * Messages as clients see them: each with its reactions, the message it quotes as it is
 * now (a deletion of the original shows as a tombstone in every quote of it), and, on a
 * thread's root, the thread's summary. Parts a caller has not read are looked up per message.
 */
export function createMessageViews(deps: {
  messages: MessageStore;
  reactions: ReactionStore;
  threads: ThreadStore;
}) {
  const { messages, reactions, threads } = deps;

  /** The messages these quote: from among them where it can, else by seq. */
  async function quotedBy(records: MessageRecord[]) {
    const bySeq = new Map(records.map((record) => [`${record.conversationId}:${record.seq}`, record]));
    const wanted = records.flatMap((record) =>
      record.replyTo ? [{ conversationId: record.conversationId, seq: record.replyTo.seq }] : [],
    );
    await Promise.all(
      wanted.map(async ({ conversationId, seq }) => {
        const key = `${conversationId}:${seq}`;
        if (!bySeq.has(key)) bySeq.set(key, (await messages.findBySeq(conversationId, seq)) as MessageRecord);
      }),
    );
    return (record: MessageRecord) =>
      record.replyTo
        ? toQuote(bySeq.get(`${record.conversationId}:${record.replyTo.seq}`) ?? null, record.replyTo)
        : null;
  }

  async function view(records: MessageRecord[], known: KnownParts = {}): Promise<Message[]> {
    const [reacted, summaries, quoteOf] = await Promise.all([
      known.reactions ??
        Promise.all(records.map((record) => reactions.ofMessage(record._id))).then((found) => found.flat()),
      known.threads ??
        Promise.all(
          // A reply in a thread is never a root itself.
          records.map((record) => (record.threadRootSeq ? null : threads.summaryOf(record._id))),
        ).then((found) => new Map(records.map((record, i) => [record._id.toHexString(), found[i] ?? null]))),
      quotedBy(records),
    ]);
    return records.map((record) => ({
      ...toMessage(record, reacted),
      replyTo: quoteOf(record),
      // A deleted root keeps its thread: the replies stay reachable under its tombstone.
      thread: summaries.get(record._id.toHexString()) ?? null,
    }));
  }

  return {
    view,
    viewOne: async (record: MessageRecord, known?: KnownParts) => (await view([record], known))[0] as Message,
  };
}

export type MessageViews = ReturnType<typeof createMessageViews>;
