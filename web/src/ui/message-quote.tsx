import type { Message, PublicUser, QuotedMessage } from '@palaver/contracts';

/** What a quote shows of a message as it is now: its text, what it carries, or that it went. */
function quoteText(quote: Pick<QuotedMessage, 'excerpt' | 'attachmentCount' | 'kind' | 'deleted'>): string {
  if (quote.deleted) return 'Message deleted';
  if (quote.excerpt) return quote.excerpt;
  if (quote.attachmentCount > 0) return quote.kind === 'image' ? 'Photo' : 'File';
  return '';
}

/** The quote as the held original shows it now (a live edit or deletion), else as the server sent it. */
export function currentQuote(quote: QuotedMessage, original: Message | undefined): QuotedMessage {
  if (!original) return quote;
  return {
    ...quote,
    kind: original.kind,
    excerpt: original.deletedAt ? null : original.body,
    attachmentCount: original.deletedAt ? 0 : original.attachments.length,
    deleted: original.deletedAt !== null,
  };
}

const nameOf = (userId: string, me: string, users: Record<string, PublicUser>) =>
  userId === me ? 'You' : (users[userId]?.displayName ?? 'Someone');

/** Above a reply's text: whom and what it answers; a click goes to the original. */
export function MessageQuote(props: {
  quote: QuotedMessage;
  me: string;
  users: Record<string, PublicUser>;
  onJump?: ((seq: number) => void) | undefined;
}) {
  const { quote } = props;
  const name = nameOf(quote.senderId, props.me, props.users);
  const text = quoteText(quote);
  return (
    <button
      type="button"
      className={`message-quote${quote.deleted ? ' deleted' : ''}`}
      disabled={!props.onJump || quote.deleted}
      onClick={() => props.onJump?.(quote.seq)}
    >
      <span className="quote-sender">
        <span className="visually-hidden">In reply to</span> {name}
      </span>{' '}
      <span className="quote-text" dir="auto">
        {text}
      </span>
    </button>
  );
}

/** Over the composer while a reply is being written: what it answers, and a way out. */
export function ReplyBar(props: {
  message: Message;
  me: string;
  users: Record<string, PublicUser>;
  onCancel: () => void;
}) {
  const { message } = props;
  const name = nameOf(message.senderId, props.me, props.users);
  const text = quoteText({
    excerpt: message.body,
    attachmentCount: message.attachments.length,
    kind: message.kind,
    deleted: message.deletedAt !== null,
  });
  return (
    <div className="reply-bar" role="status">
      <div className="reply-bar-text">
        <span className="quote-sender">Replying to {name}</span>
        <span className="quote-text" dir="auto">
          {text}
        </span>
      </div>
      <button type="button" className="icon-button" aria-label="Cancel the reply" onClick={props.onCancel}>
        ×
      </button>
    </div>
  );
}
