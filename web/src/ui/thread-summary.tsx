import type { PublicUser, ThreadSummary } from '@palaver/contracts';
import { Avatar } from './avatar.tsx';
import { listTime } from './format.ts';

/** Avatars a summary shows; the rest are counted in its label. */
const shownParticipants = 3;

/** Under a thread's root: who replied, how many replies, when the last came; opens the thread. */
export function ThreadSummaryButton(props: {
  thread: ThreadSummary;
  users: Record<string, PublicUser>;
  onOpen: () => void;
}) {
  const { thread, users } = props;
  const count = `${thread.replyCount} ${thread.replyCount === 1 ? 'reply' : 'replies'}`;
  const last = listTime(thread.lastReplyAt);
  return (
    <button type="button" className="thread-summary" onClick={props.onOpen}>
      <span className="thread-participants">
        {thread.participantIds.slice(0, shownParticipants).map((userId) => (
          <Avatar key={userId} name={users[userId]?.displayName ?? '?'} avatar={users[userId]?.avatar} />
        ))}
      </span>
      <span className="thread-count">{count}</span> <span className="thread-last">Last reply {last}</span>
      <span className="visually-hidden">, open the thread</span>
    </button>
  );
}

/** In the conversation, above a reply posted in a thread: a way to that thread. */
export function InThreadLink({ onOpen }: { onOpen: () => void }) {
  return (
    <button type="button" className="in-thread" onClick={onOpen}>
      Replied in a thread
    </button>
  );
}
