import type { PublicUser, SearchHit, Upload } from '@palaver/contracts';
import { type RefObject, useEffect, useMemo, useRef, useState } from 'react';
import type { AuthSession } from '../api/auth-session.ts';
import type { PalaverApi } from '../api/palaver-api.ts';
import { ChatClient } from '../chat/chat-client.ts';
import { byActivity, type ChatState } from '../chat/chat-state.ts';
import { attentionCount } from '../notifications/tab-badge.ts';
import { Avatar } from './avatar.tsx';
import { BlockedPeople } from './blocked-people.tsx';
import { ConnectionBanner } from './connection-banner.tsx';
import { ConversationList } from './conversation-list.tsx';
import { ConversationView } from './conversation-view.tsx';
import { MembersPanel } from './members-panel.tsx';
import { NewConversationDialog } from './new-conversation-dialog.tsx';
import { NotificationToggle, useDesktopNotifications } from './notification-toggle.tsx';
import { ProfileDialog } from './profile-dialog.tsx';
import { SearchEntry, useSearchShortcut } from './search-entry.tsx';
import { SearchPanel } from './search-panel.tsx';
import { ThemeToggle } from './theme.tsx';
import { createLinkCache, UploadLinksContext } from './upload-links.ts';
import { ChatClientContext, shallowEqual, useChatState } from './use-chat.ts';
import type { MessageFocus } from './use-message-focus.ts';
import { useTabBadge } from './use-tab-badge.ts';

/** The open conversation lives in the URL hash, so a reload reopens it. */
const readHash = () => /^#\/c\/([0-9a-f]{24})$/.exec(window.location.hash)?.[1] ?? null;

function useSelectedConversation(): [string | null, (id: string | null) => void] {
  const read = readHash;
  const [selected, setSelected] = useState(read);
  useEffect(() => {
    const onHash = () => setSelected(read());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const select = (id: string | null) => {
    window.location.hash = id ? `/c/${id}` : '';
    setSelected(id);
  };
  return [selected, select];
}

export function ChatScreen({
  auth,
  api,
  onLogout,
}: {
  auth: AuthSession;
  api: PalaverApi;
  onLogout: () => void;
}) {
  const client = useMemo(() => new ChatClient(auth, api), [auth, api]);
  const links = useMemo(() => createLinkCache((id) => api.uploadMeta(id)), [api]);
  useEffect(() => {
    client.start();
    return () => client.stop();
  }, [client]);
  return (
    <ChatClientContext.Provider value={client}>
      <UploadLinksContext.Provider value={links.resolve}>
        <ChatLayout api={api} client={client} seedLinks={links.seed} onLogout={onLogout} />
      </UploadLinksContext.Provider>
    </ChatClientContext.Provider>
  );
}

/** The first match that is rendered (the phone-only Back button is not, on a desktop). */
const firstVisible = (selector: string) =>
  [...document.querySelectorAll<HTMLElement>(selector)].find(
    (element) => element.getClientRects().length > 0,
  );

/**
 * Focus follows the view, which matters most on a phone where the other pane is gone:
 * opening a conversation focuses its heading (unless `toMessage`: a search hit, which the
 * message list focuses); going back focuses the row it came from.
 */
function useFocusFollowsSelection(selected: string | null, toMessage: RefObject<boolean>) {
  const previous = useRef(selected);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `toMessage` is a ref, read when the selection changes
  useEffect(() => {
    const was = previous.current;
    previous.current = selected;
    if (selected === was) return;
    const quiet = toMessage.current;
    toMessage.current = false;
    if (selected && !quiet) document.querySelector<HTMLElement>('#conversation-title')?.focus();
    else if (was) document.querySelector<HTMLElement>(`[data-conversation-id="${was}"]`)?.focus();
  }, [selected]);
}

/** What the layout shows: not typing, nor blocks (the open conversation selects its own). */
const layoutSlice = (state: ChatState) => ({
  me: state.me,
  conversations: state.conversations,
  listStatus: state.listStatus,
  users: state.users,
  presence: state.presence,
  connection: state.connection,
  queued: state.pending.length,
});

const unsentWarning = (count: number) =>
  `${count === 1 ? 'One message has' : `${count} messages have`} not been sent yet and will be discarded. Log out anyway?`;

type LayoutState = ReturnType<typeof layoutSlice>;

/**
 * Opening a search hit: its conversation opens (`open`) at the message, history loaded back
 * to it; `toMessage` tells the focus to leave the heading to the message.
 */
function useSearchHits(client: ChatClient, selected: string | null, open: (conversationId: string) => void) {
  const [found, setFound] = useState<FoundMessage | null>(null);
  const [finding, setFinding] = useState(false);
  const toMessage = useRef(false);
  // Bumped by each hit opened and by leaving it: a late answer for an earlier one says nothing.
  const ticket = useRef(0);
  // Only the opening at the hit: another conversation, and coming back later, open as usual.
  // biome-ignore lint/correctness/useExhaustiveDependencies: on a change of selection only
  useEffect(() => {
    if (!found || selected === found.conversationId) return;
    ticket.current++;
    setFound(null);
    setFinding(false);
  }, [selected]);
  const openHit = (hit: SearchHit) => {
    const mine = ++ticket.current;
    const say = (next: boolean) => ticket.current === mine && setFinding(next);
    setFound({ conversationId: hit.conversationId, seq: hit.seq });
    setFinding(false);
    toMessage.current = hit.conversationId !== selected;
    open(hit.conversationId);
    // Far up a long history it takes a few pages: say so, unless it is there at once.
    const slow = setTimeout(() => say(true), 400);
    client
      .loadUntil(hit.conversationId, hit.seq)
      // A failure shows as the view's own "Could not load messages".
      .catch(() => {})
      .finally(() => {
        clearTimeout(slow);
        say(false);
      });
  };
  return { found, finding, openHit, toMessage };
}

/** Said while history loads back to a search hit far up (a long history takes a few pages). */
function FindingNote({ finding }: { finding: boolean }) {
  return (
    <p className="search-note" role="status" hidden={!finding}>
      {finding ? 'Loading earlier messages to show the one you chose…' : ''}
    </p>
  );
}

/** `search-here` starts narrowed to the open conversation. */
type Dialog = 'new' | 'members' | 'search' | 'search-here' | 'profile' | null;
/** A search hit being shown: its conversation opens there. */
type FoundMessage = MessageFocus & { conversationId: string };

function ChatLayout(props: {
  api: PalaverApi;
  client: ChatClient;
  seedLinks: Parameters<typeof ConversationView>[0]['seedLinks'];
  onLogout: () => void;
}) {
  const { client } = props;
  const state = useChatState(layoutSlice, shallowEqual);
  const [selected, select] = useSelectedConversation();
  const [dialog, setDialog] = useState<Dialog>(null);
  const ordered = useMemo(() => Object.values(state.conversations).sort(byActivity), [state.conversations]);
  const { found, finding, openHit, toMessage } = useSearchHits(client, selected, (id) => {
    setDialog(null);
    select(id);
  });
  useFocusFollowsSelection(selected, toMessage);
  useSearchShortcut(() => setDialog('search'));
  // Muted conversations do not call for attention, unless they mention me.
  useTabBadge(attentionCount(ordered, state.me));
  useDesktopNotifications(client);

  return (
    <div className={`chat-layout${selected ? ' has-selection' : ''}`}>
      <button
        type="button"
        className="skip-link"
        onClick={() => (firstVisible('.composer-input') ?? firstVisible('.main-pane button'))?.focus()}
      >
        Skip to conversation
      </button>
      <ConnectionBanner connection={state.connection} queued={state.queued} />
      <aside className="sidebar" aria-label="Conversations">
        <SidebarHeader
          me={state.users[state.me]}
          onProfile={() => setDialog('profile')}
          onLogout={() => {
            if (state.queued > 0 && !window.confirm(unsentWarning(state.queued))) return;
            client.clearOutbox();
            props.onLogout();
          }}
        />
        <div className="sidebar-actions">
          <SearchEntry onOpen={() => setDialog('search')} />
          <button type="button" className="primary new-chat" onClick={() => setDialog('new')}>
            New chat
          </button>
        </div>
        <nav aria-label="Conversation list">
          <ConversationList
            conversations={ordered}
            status={state.listStatus}
            me={state.me}
            users={state.users}
            presence={state.presence}
            selectedId={selected}
            onSelect={select}
            onRetry={() => void client.loadConversations()}
          />
        </nav>
      </aside>
      <MainPane
        selected={selected}
        seedLinks={props.seedLinks}
        found={found}
        finding={finding}
        onBack={() => select(null)}
        setDialog={setDialog}
      />
      <LayoutDialogs
        {...props}
        state={state}
        dialog={dialog}
        setDialog={setDialog}
        selected={selected}
        select={select}
        onOpenHit={openHit}
      />
    </div>
  );
}

/** The open conversation (at a search hit, when one was opened), or a word on what to do. */
function MainPane(props: {
  selected: string | null;
  seedLinks: Parameters<typeof ConversationView>[0]['seedLinks'];
  found: FoundMessage | null;
  finding: boolean;
  onBack: () => void;
  setDialog: (dialog: Dialog) => void;
}) {
  const { selected, found, setDialog } = props;
  return (
    <main className="main-pane" id="main-pane">
      <FindingNote finding={props.finding} />
      {selected ? (
        <ConversationView
          key={selected}
          conversationId={selected}
          seedLinks={props.seedLinks}
          onBack={props.onBack}
          onShowMembers={() => setDialog('members')}
          onSearch={() => setDialog('search-here')}
          focus={found?.conversationId === selected ? found : undefined}
        />
      ) : (
        <div className="conversation-empty">
          <p>Pick a conversation, or start a new one with “New chat”.</p>
        </div>
      )}
    </main>
  );
}

/** Who is signed in (their picture opens their profile), and their toggles: notifications, colour scheme, logging out. */
function SidebarHeader(props: { me: PublicUser | undefined; onProfile: () => void; onLogout: () => void }) {
  const meName = props.me?.displayName ?? 'You';
  return (
    <header className="sidebar-header">
      <button
        type="button"
        className="profile-button"
        onClick={props.onProfile}
        title="Your profile: name and picture"
      >
        <Avatar name={meName} avatar={props.me?.avatar} />
        {/* Named by text, not aria-label: the initials it shows are not part of its name. */}
        <span className="visually-hidden">Your profile</span>
      </button>
      <h1 className="sidebar-title">
        Palaver<span className="visually-hidden">, signed in as {meName}</span>
      </h1>
      <NotificationToggle />
      <ThemeToggle />
      <button type="button" className="link" onClick={props.onLogout}>
        Log out
      </button>
    </header>
  );
}

/** "New chat", the search, my profile, and the open conversation's members. */
function LayoutDialogs(props: {
  api: PalaverApi;
  client: ChatClient;
  seedLinks: (upload: Upload) => void;
  state: LayoutState;
  dialog: Dialog;
  setDialog: (dialog: Dialog) => void;
  selected: string | null;
  select: (id: string | null) => void;
  onOpenHit: (hit: SearchHit) => void;
}) {
  const { api, client, state, setDialog, select } = props;
  if (props.dialog === 'search' || props.dialog === 'search-here') {
    return (
      <SearchPanel
        conversationId={props.selected}
        narrowed={props.dialog === 'search-here'}
        onClose={() => setDialog(null)}
        onOpen={props.onOpenHit}
      />
    );
  }
  const me = state.users[state.me];
  if (props.dialog === 'profile' && me) {
    return (
      <ProfileDialog client={client} me={me} onUploaded={props.seedLinks} onClose={() => setDialog(null)}>
        <BlockedPeople />
      </ProfileDialog>
    );
  }
  const selectedState = props.selected ? state.conversations[props.selected] : undefined;
  if (props.dialog === 'new') {
    return (
      <NewConversationDialog
        api={api}
        client={client}
        onClose={() => setDialog(null)}
        onOpen={(id) => {
          setDialog(null);
          select(id);
        }}
      />
    );
  }
  if (props.dialog !== 'members' || !selectedState) return null;
  return (
    <MembersPanel
      api={api}
      client={client}
      state={selectedState}
      users={state.users}
      presence={state.presence}
      onClose={() => setDialog(null)}
      onLeft={() => {
        setDialog(null);
        select(null);
      }}
    />
  );
}
