import type { Message, PublicUser } from '@palaver/contracts';

/** The emoji offered for a quick reaction (any emoji is accepted by the server). */
export const quickReactions = ['👍', '❤️', '😂', '🎉', '😮', '😢'];

const namesOf = (userIds: string[], users: Record<string, PublicUser>, me: string) =>
  userIds.map((id) => (id === me ? 'you' : (users[id]?.displayName ?? 'someone'))).join(', ');

/** A message's reactions as toggles: each emoji with its count, pressed when one of them is mine. */
export function MessageReactions(props: {
  message: Message;
  me: string;
  users: Record<string, PublicUser>;
  onToggle: (emoji: string) => void;
}) {
  const { message, me, users, onToggle } = props;
  if (message.reactions.length === 0) return null;
  return (
    <ul className="reactions" aria-label="Reactions">
      {message.reactions.map((reaction) => {
        const mine = reaction.userIds.includes(me);
        const who = namesOf(reaction.userIds, users, me);
        return (
          <li key={reaction.emoji}>
            <button
              type="button"
              className={`reaction${mine ? ' mine' : ''}`}
              aria-pressed={mine}
              title={`${reaction.emoji} ${who}`}
              aria-label={`${reaction.emoji} ${reaction.userIds.length}: ${who}`}
              onClick={() => onToggle(reaction.emoji)}
            >
              <span aria-hidden="true">{reaction.emoji}</span>
              <span className="reaction-count" aria-hidden="true">
                {reaction.userIds.length}
              </span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}
