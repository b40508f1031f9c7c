import type { Message } from '@palaver/contracts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ChatState, type ConversationState, initialChatState } from '../chat/chat-state.ts';
import { ChatStore } from '../chat/chat-store.ts';
import { conversation, conversationState, id, me, message, users } from '../test-support/fixtures.ts';
import {
  disableNotifications,
  enableNotifications,
  notificationsOn,
  watchForNotifications,
} from './desktop-notifications.ts';

/** The browser's Notification, recording what was shown. */
class FakeNotification {
  static permission: NotificationPermission = 'default';
  static requestPermission = vi.fn(async (): Promise<NotificationPermission> => 'granted');
  static shown: FakeNotification[] = [];
  onclick: (() => void) | null = null;
  close = vi.fn();
  readonly title: string;
  readonly options: NotificationOptions;
  constructor(title: string, options: NotificationOptions) {
    this.title = title;
    this.options = options;
    FakeNotification.shown.push(this);
  }
}

const direct = conversation({ id: id(100) });
const group = conversation({ id: id(200), type: 'group', title: 'Team' });

function held(conv: typeof direct, overrides: Partial<ConversationState> = {}): ConversationState {
  const first = message(1, { conversationId: conv.id });
  return conversationState([first], overrides, conv);
}

function chat(overrides: Record<string, Partial<ConversationState>> = {}): ChatStore<ChatState> {
  return new ChatStore<ChatState>({
    ...initialChatState(me),
    users,
    listStatus: 'ready',
    conversations: {
      [direct.id]: held(direct, overrides[direct.id]),
      [group.id]: held(group, overrides[group.id]),
    },
  });
}

/** A message arriving: it becomes the conversation's newest. */
function arrive(store: ChatStore<ChatState>, newest: Message) {
  store.update((state) => {
    const current = state.conversations[newest.conversationId] as ConversationState;
    return {
      ...state,
      conversations: { ...state.conversations, [newest.conversationId]: { ...current, lastMessage: newest } },
    };
  });
}

let hidden = true;

describe('desktop notifications', () => {
  beforeEach(() => {
    localStorage.clear();
    FakeNotification.permission = 'default';
    FakeNotification.requestPermission.mockClear();
    FakeNotification.shown = [];
    vi.stubGlobal('Notification', FakeNotification);
    hidden = true;
    Object.defineProperty(document, 'visibilityState', {
      configurable: true,
      get: () => (hidden ? 'hidden' : 'visible'),
    });
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    delete (document as Partial<Document> & { visibilityState?: unknown }).visibilityState;
  });

  it('asks the browser on opting in, and remembers the choice', async () => {
    expect(notificationsOn()).toBe(false);
    FakeNotification.requestPermission.mockImplementationOnce(async () => {
      FakeNotification.permission = 'granted';
      return 'granted';
    });
    expect(await enableNotifications()).toBe('granted');
    expect(FakeNotification.requestPermission).toHaveBeenCalledTimes(1);
    expect(localStorage.getItem('palaver.notifications')).toBe('on');
    expect(notificationsOn()).toBe(true);
    disableNotifications();
    expect(notificationsOn()).toBe(false);
    // Granted already: no second prompt.
    await enableNotifications();
    expect(FakeNotification.requestPermission).toHaveBeenCalledTimes(1);
  });

  it('shows direct messages and mentions that arrive while the tab is hidden', async () => {
    FakeNotification.permission = 'granted';
    await enableNotifications();
    const store = chat();
    const stop = watchForNotifications(store);
    // What was there when the list loaded is not news.
    expect(FakeNotification.shown).toHaveLength(0);

    arrive(store, message(2, { conversationId: direct.id, body: 'are you\nthere?' }));
    expect(FakeNotification.shown.map((n) => [n.title, n.options.body, n.options.tag])).toEqual([
      ['Olga', 'are you there?', direct.id],
    ]);
    arrive(store, message(2, { conversationId: group.id, body: 'lunch, everyone?' }));
    expect(FakeNotification.shown).toHaveLength(1);
    arrive(store, message(3, { conversationId: group.id, body: '@me you too', mentions: [me] }));
    expect(FakeNotification.shown.at(-1)?.title).toBe('Olga in Team');
    expect(FakeNotification.shown).toHaveLength(2);

    // Not for my own messages, system lines, or while I am looking.
    arrive(store, message(3, { conversationId: direct.id, senderId: me }));
    arrive(store, message(4, { conversationId: group.id, kind: 'system', body: '{}', mentions: [me] }));
    hidden = false;
    arrive(store, message(4, { conversationId: direct.id }));
    expect(FakeNotification.shown).toHaveLength(2);
    stop();
    hidden = true;
    arrive(store, message(5, { conversationId: direct.id }));
    expect(FakeNotification.shown).toHaveLength(2);
  });

  it('keeps a muted conversation quiet unless it mentions me', async () => {
    FakeNotification.permission = 'granted';
    await enableNotifications();
    const store = chat({ [direct.id]: { muted: true }, [group.id]: { muted: true } });
    watchForNotifications(store);
    arrive(store, message(2, { conversationId: direct.id }));
    expect(FakeNotification.shown).toHaveLength(0);
    arrive(store, message(2, { conversationId: group.id, mentions: [me] }));
    expect(FakeNotification.shown.map((n) => n.title)).toEqual(['Olga in Team']);
  });

  it('shows nothing unless opted in and permitted', () => {
    FakeNotification.permission = 'granted';
    const store = chat();
    watchForNotifications(store);
    arrive(store, message(2, { conversationId: direct.id }));
    expect(FakeNotification.shown).toHaveLength(0);
    localStorage.setItem('palaver.notifications', 'on');
    FakeNotification.permission = 'denied';
    arrive(store, message(3, { conversationId: direct.id }));
    expect(FakeNotification.shown).toHaveLength(0);
  });

  it('opens the conversation when a notification is clicked', async () => {
    FakeNotification.permission = 'granted';
    await enableNotifications();
    const store = chat();
    const onOpen = vi.fn();
    vi.spyOn(window, 'focus').mockImplementation(() => {});
    watchForNotifications(store, { onOpen });
    arrive(store, message(2, { conversationId: direct.id }));
    const [shown] = FakeNotification.shown;
    shown?.onclick?.();
    expect(onOpen).toHaveBeenCalledWith(direct.id);
    expect(shown?.close).toHaveBeenCalled();
  });

  it('treats a conversation that turns up after the list loaded as news, and waits for the list', async () => {
    FakeNotification.permission = 'granted';
    await enableNotifications();
    const store = new ChatStore<ChatState>({ ...initialChatState(me), users });
    watchForNotifications(store);
    store.update((state) => ({ ...state, listStatus: 'ready', conversations: { [group.id]: held(group) } }));
    expect(FakeNotification.shown).toHaveLength(0);
    const fresh = conversation({ id: id(300) });
    store.update((state) => ({
      ...state,
      conversations: { ...state.conversations, [fresh.id]: held(fresh) },
    }));
    expect(FakeNotification.shown.map((n) => [n.title, n.options.body])).toEqual([['Olga', 'message 1']]);
  });
});
