import type { AvatarRef, PublicUser } from '@palaver/contracts';
import { type ReactNode, useState } from 'react';
import { describeError } from '../api/api-error.ts';
import type { PalaverApi } from '../api/palaver-api.ts';
import type { ChatClient } from '../chat/chat-client.ts';
import type { ConversationState, Presence } from '../chat/chat-state.ts';
import { Avatar } from './avatar.tsx';
import { GroupNameField } from './group-name-field.tsx';
import { ModalDialog } from './modal-dialog.tsx';
import { UserSearch } from './user-search.tsx';

/**
 * Members of a group: rename, add, remove and make admins (owner/admin; the owner cannot be
 * removed), hand the group over (owner), leave.
 */
export function MembersPanel(props: {
  api: PalaverApi;
  client: ChatClient;
  state: ConversationState;
  users: Record<string, PublicUser>;
  presence: Record<string, Presence>;
  onLeft: () => void;
  onClose: () => void;
}) {
  const { api, client, state, users, presence } = props;
  const { conversation } = state;
  const me = client.me;
  const myRole = conversation.members.find((member) => member.userId === me)?.role;
  const manages = conversation.type === 'group' && (myRole === 'owner' || myRole === 'admin');
  const [error, run] = useFailure();
  return (
    <ModalDialog title={conversation.type === 'group' ? 'Members' : 'Conversation'} onClose={props.onClose}>
      {manages && (
        <RenameForm
          title={conversation.title ?? ''}
          onRename={(title) => run(() => client.renameGroup(conversation.id, title))}
        />
      )}
      <ul className="member-list">
        {conversation.members.map((member) => {
          const name = users[member.userId]?.displayName ?? 'Someone';
          const managed = manages && member.userId !== me && member.role !== 'owner';
          return (
            <MemberRow
              key={member.userId}
              member={member}
              name={name}
              avatar={users[member.userId]?.avatar}
              me={me}
              online={member.userId === me || presence[member.userId]?.status === 'online'}
            >
              {managed && (
                <MemberActions
                  member={member}
                  name={name}
                  owner={myRole === 'owner'}
                  conversationId={conversation.id}
                  client={client}
                  run={run}
                />
              )}
            </MemberRow>
          );
        })}
      </ul>
      {manages && (
        <UserSearch
          api={api}
          me={me}
          exclude={conversation.members.map((member) => member.userId)}
          label="Add people"
          onPick={(user) => void run(() => client.addMembers(conversation.id, [user.id]))}
        />
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {conversation.type === 'group' && (
        <LeaveButton
          onLeave={() =>
            run(async () => {
              await client.removeMember(conversation.id, me);
              props.onLeft();
            })
          }
        />
      )}
    </ModalDialog>
  );
}

/** Runs a change; what went wrong, if it did, until the next one. */
function useFailure(): [string | null, (action: () => Promise<void>) => Promise<void>] {
  const [error, setError] = useState<string | null>(null);
  const run = async (action: () => Promise<void>) => {
    setError(null);
    try {
      await action();
    } catch (failure) {
      setError(describeError(failure));
    }
  };
  return [error, run];
}

function LeaveButton({ onLeave }: { onLeave: () => Promise<void> }) {
  return (
    <button
      type="button"
      className="danger"
      onClick={() => {
        if (window.confirm('Leave this group? You will stop receiving its messages.')) void onLeave();
      }}
    >
      Leave group
    </button>
  );
}

type Member = ConversationState['conversation']['members'][number];

function MemberRow(props: {
  member: Member;
  name: string;
  avatar: AvatarRef | null | undefined;
  me: string;
  online: boolean;
  children: ReactNode;
}) {
  const { member, name } = props;
  return (
    <li>
      <Avatar name={name} avatar={props.avatar} online={props.online} />
      <span className="member-name">
        {member.userId === props.me ? `${name} (you)` : name}
        {member.role !== 'member' && <span className="role"> · {member.role}</span>}
      </span>
      {props.children}
    </li>
  );
}

/** What the owner or an admin may do to another member: roles, handing over (owner), removing. */
function MemberActions(props: {
  member: Member;
  name: string;
  owner: boolean;
  conversationId: string;
  client: ChatClient;
  run: (action: () => Promise<void>) => Promise<void>;
}) {
  const { member, name, conversationId, client, run } = props;
  const admin = member.role === 'admin';
  return (
    <span className="member-actions">
      <button
        type="button"
        aria-label={admin ? `Make ${name} a member` : `Make ${name} an admin`}
        onClick={() =>
          void run(() => client.setRole(conversationId, member.userId, admin ? 'member' : 'admin'))
        }
      >
        {admin ? 'Remove admin' : 'Make admin'}
      </button>
      {props.owner && (
        <button
          type="button"
          aria-label={`Make ${name} the owner`}
          onClick={() => {
            if (window.confirm(`Make ${name} the owner? You will become an admin.`))
              void run(() => client.transferOwnership(conversationId, member.userId));
          }}
        >
          Make owner
        </button>
      )}
      <button
        type="button"
        aria-label={`Remove ${name}`}
        onClick={() => {
          if (window.confirm(`Remove ${name} from this group?`))
            void run(() => client.removeMember(conversationId, member.userId));
        }}
      >
        Remove
      </button>
    </span>
  );
}

/** The group's name, for its owner and admins to change. */
function RenameForm(props: { title: string; onRename: (title: string) => Promise<void> }) {
  const [title, setTitle] = useState(props.title);
  const changed = title.trim() !== '' && title.trim() !== props.title;
  return (
    <form
      className="rename-form"
      onSubmit={(event) => {
        event.preventDefault();
        if (changed) void props.onRename(title.trim());
      }}
    >
      <GroupNameField value={title} onChange={setTitle} />
      <button type="submit" disabled={!changed}>
        Rename
      </button>
    </form>
  );
}
