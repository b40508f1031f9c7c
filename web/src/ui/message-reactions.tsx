import type { Message, PublicUser } from '@palaver/contracts';
import { useState } from 'react';

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

/** "React" opens a row of quick emoji; choosing one toggles it and closes the row. */
export function ReactionPicker(props: { disabled: boolean; onPick: (emoji: string) => void }) {
  const [open, setOpen] = useState(false);
  return (
    <span className="reaction-picker">
      <button type="button" disabled={props.disabled} aria-expanded={open} onClick={() => setOpen(!open)}>
        React
      </button>
      {open && (
        <fieldset className="reaction-choices">
          <legend className="visually-hidden">Choose a reaction</legend>
          {quickReactions.map((emoji) => (
            <button
              key={emoji}
              type="button"
              aria-label={`React with ${emoji}`}
              onClick={() => {
                setOpen(false);
                props.onPick(emoji);
              }}
            >
              {emoji}
            </button>
          ))}
        </fieldset>
      )}
    </span>
  );
}
