import type { Message } from '@palaver/contracts';
import type { ChatState, ConversationState } from '../chat/chat-state.ts';
import type { ChatStore } from '../chat/chat-store.ts';

/**
 * Desktop notifications, opt-in: for direct messages and mentions that arrive while the tab
 * is hidden. A muted conversation stays quiet unless it mentions me, as the tab title does.
 */

const key = 'palaver.notifications';

export function notificationsSupported(): boolean {
  return typeof window !== 'undefined' && 'Notification' in window;
}

/** The person asked for them here (remembered), whatever the browser now allows. */
function notificationsWanted(): boolean {
  try {
    return localStorage.getItem(key) === 'on';
  } catch {
    return false;
  }
}

function remember(on: boolean): void {
  try {
    localStorage.setItem(key, on ? 'on' : 'off');
  } catch {
    // Storage denied: the choice lasts for this page only.
  }
}

/** Wanted, and the browser lets this site show them. */
export function notificationsOn(): boolean {
  return notificationsSupported() && notificationsWanted() && Notification.permission === 'granted';
}

/** Opting in asks the browser for permission when it has not been given; the answer is returned. */
export async function enableNotifications(): Promise<NotificationPermission | 'unsupported'> {
  if (!notificationsSupported()) return 'unsupported';
  const permission =
    Notification.permission === 'granted' ? 'granted' : await Notification.requestPermission();
  remember(permission === 'granted');
  return permission;
}

export function disableNotifications(): void {
  remember(false);
}

/** What a notification says: who (and where, in a group), and the text or what was sent. */
function notificationText(message: Message, held: ConversationState, state: ChatState) {
  const sender = state.users[message.senderId]?.displayName ?? 'Someone';
  const group = held.conversation.type === 'group' ? (held.conversation.title ?? 'a group') : null;
  const title = group ? `${sender} in ${group}` : sender;
  const text = message.body?.replace(/\s+/g, ' ').trim();
  const body = text
    ? text.length > 140
      ? `${text.slice(0, 139)}…`
      : text
    : message.kind === 'image'
      ? 'Sent a photo'
      : 'Sent a file';
  return { title, body };
}

/** Whether a newly arrived message calls for a notification, the page's visibility aside. */
function notifies(message: Message, held: ConversationState, me: string): boolean {
  if (message.senderId === me || message.kind === 'system' || message.deletedAt) return false;
  const mentionsMe = message.mentions.includes(me);
  if (held.muted && !mentionsMe) return false;
  return held.conversation.type === 'direct' || mentionsMe;
}

interface WatchOptions {
  /** Whether the person would not see the message arrive: the tab is hidden. */
  hidden?: () => boolean;
  /** Whether to notify at all: opted in and permitted. */
  enabled?: () => boolean;
  /** Clicking a notification opens its conversation. */
  onOpen?: (conversationId: string) => void;
}

/**
 * Watches the chat state for new messages (a conversation's newest message moving on) and
 * shows a notification for each that {@link notifies}. What is held when the list first
 * loads is not news; a conversation that turns up later (a new direct chat) is.
 */
export function watchForNotifications(store: ChatStore<ChatState>, options: WatchOptions = {}): () => void {
  const hidden = options.hidden ?? (() => document.visibilityState === 'hidden');
  const enabled = options.enabled ?? notificationsOn;
  const onOpen =
    options.onOpen ??
    ((conversationId: string) => {
      window.location.hash = `/c/${conversationId}`;
    });
  const seen = new Map<string, number>();
  let ready = false;
  const check = () => {
    const state = store.get();
    if (!ready) {
      if (state.listStatus !== 'ready') return;
      for (const [id, held] of Object.entries(state.conversations)) seen.set(id, held.lastMessage?.seq ?? 0);
      ready = true;
      return;
    }
    for (const [id, held] of Object.entries(state.conversations)) {
      const newest = held.lastMessage;
      const before = seen.get(id) ?? 0;
      if (!newest || newest.seq <= before) continue;
      seen.set(id, newest.seq);
      if (notifies(newest, held, state.me) && hidden() && enabled()) show(newest, held, state, onOpen);
    }
  };
  check();
  return store.subscribe(check);
}

function show(
  message: Message,
  held: ConversationState,
  state: ChatState,
  onOpen: (conversationId: string) => void,
): void {
  const { title, body } = notificationText(message, held, state);
  try {
    const notification = new Notification(title, { body, tag: held.conversation.id, icon: '/favicon.svg' });
    notification.onclick = () => {
      window.focus();
      onOpen(held.conversation.id);
      notification.close();
    };
  } catch {
    // Some browsers (Android Chrome) allow notifications only from a service worker.
  }
}
