import type { PublicUser } from '@palaver/contracts';
import { type Dispatch, type SetStateAction, useState } from 'react';
import type { PalaverApi } from '../api/palaver-api.ts';
import type { ChatClient } from '../chat/chat-client.ts';
import { GroupNameField } from './group-name-field.tsx';
import { ModalDialog } from './modal-dialog.tsx';
import { useAsyncAction } from './use-async-action.ts';
import { UserSearch } from './user-search.tsx';

/** Start a direct chat with one person, or a group with a title and members. */
export function NewConversationDialog(props: {
  api: PalaverApi;
  client: ChatClient;
  onOpen: (conversationId: string) => void;
  onClose: () => void;
}) {
  const { api, client } = props;
  const [mode, setMode] = useState<'direct' | 'group'>('direct');
  // Kept here, not in the form, so switching to Direct and back loses nothing.
  const group = useState<GroupDraft>({ title: '', members: [] });
  const { busy, error, setError, run } = useAsyncAction();
  const openCreated = (conversation: () => Promise<string>) =>
    void run(async () => props.onOpen(await conversation()));

  return (
    <ModalDialog title={mode === 'direct' ? 'New chat' : 'New group'} onClose={props.onClose}>
      <fieldset className="segmented">
        <legend className="visually-hidden">Kind of conversation</legend>
        <button type="button" aria-pressed={mode === 'direct'} onClick={() => setMode('direct')}>
          Direct
        </button>
        <button type="button" aria-pressed={mode === 'group'} onClick={() => setMode('group')}>
          Group
        </button>
      </fieldset>
      {mode === 'direct' ? (
        <UserSearch
          api={api}
          me={client.me}
          label="Find a person"
          onPick={(user) => openCreated(() => client.startDirect(user.id))}
        />
      ) : (
        <GroupForm
          draft={group}
          api={api}
          me={client.me}
          busy={busy}
          onError={setError}
          onCreate={(title, memberIds) => openCreated(() => client.createGroup(title, memberIds))}
        />
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </ModalDialog>
  );
}

interface GroupDraft {
  title: string;
  members: PublicUser[];
}

/** A new group: its title and the people to add, chosen one by one. */
function GroupForm(props: {
  draft: [GroupDraft, Dispatch<SetStateAction<GroupDraft>>];
  api: PalaverApi;
  me: string;
  busy: boolean;
  onError: (error: string) => void;
  onCreate: (title: string, memberIds: string[]) => void;
}) {
  const [{ title, members }, setDraft] = props.draft;
  const setTitle = (next: string) => setDraft((held) => ({ ...held, title: next }));
  const setMembers = (change: (held: PublicUser[]) => PublicUser[]) =>
    setDraft((held) => ({ ...held, members: change(held.members) }));
  return (
    <form
      className="group-form"
      onSubmit={(event) => {
        event.preventDefault();
        if (!title.trim()) return props.onError('Give the group a title.');
        if (members.length === 0) return props.onError('Add at least one member.');
        props.onCreate(
          title.trim(),
          members.map((member) => member.id),
        );
      }}
    >
      <GroupNameField value={title} onChange={setTitle} />
      <UserSearch
        api={props.api}
        me={props.me}
        exclude={members.map((member) => member.id)}
        label="Add members"
        onPick={(user) => setMembers((held) => [...held, user])}
      />
      {members.length > 0 && (
        <ul className="chips" aria-label="Members to add">
          {members.map((member) => (
            <li key={member.id}>
              {member.displayName}
              <button
                type="button"
                aria-label={`Remove ${member.displayName}`}
                onClick={() => setMembers((held) => held.filter((other) => other.id !== member.id))}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <button type="submit" className="primary" disabled={props.busy}>
        Create group
      </button>
    </form>
  );
}
