import type { MessagePage } from '@palaver/contracts';
import { act, render, screen, within } from '@testing-library/react';
import type { ComponentType } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeSocket } from '../test-support/fake-socket.ts';
import { conversation, message, other, summaries, testApi, testAuth } from '../test-support/fixtures.ts';
import { ChatScreen } from './chat-screen.tsx';

let socket: FakeSocket;
vi.mock('../realtime/gateway-socket.ts', () => ({
  connectGateway: () => socket,
  refusalCode: () => undefined,
}));

/** How often the layout's conversation list and the open conversation's messages rendered. */
const renders = vi.hoisted(() => ({ list: 0, messages: 0 }));
/** `Real` as it is, counting its renders in `renders[counter]` (a declaration: the hoisted mocks call it). */
function counted<Props extends object>(Real: ComponentType<Props>, counter: keyof typeof renders) {
  return (props: Props) => {
    renders[counter]++;
    return <Real {...props} />;
  };
}
vi.mock('./conversation-list.tsx', async (importOriginal) => {
  const actual = await importOriginal<typeof import('./conversation-list.tsx')>();
  return { ...actual, ConversationList: counted(actual.ConversationList, 'list') };
});
vi.mock('./message-list.tsx', async (importOriginal) => {
  const actual = await importOriginal<typeof import('./message-list.tsx')>();
  return { ...actual, MessageList: counted(actual.MessageList, 'messages') };
});

const list = summaries(1);
const open = list[0] as (typeof list)[0];

describe('ChatScreen', () => {
  beforeEach(() => {
    socket = new FakeSocket();
    localStorage.clear();
    window.location.hash = `#/c/${open.id}`;
  });
  afterEach(() => {
    window.location.hash = '';
  });

  it('re-renders only the typing indicator for a typing event, not the layout or the messages', async () => {
    const api = testApi(list, {
      // changeSeq: a field the contracts are gaining; harmless where they have not yet.
      messages: async () =>
        ({
          messages: [message(1, { conversationId: open.id })],
          hasMore: false,
          changeSeq: 0,
        }) as MessagePage,
      conversation: async () => conversation({ id: open.id }),
      blocks: async () => ({ blocks: [] }),
      markRead: async () => {},
    });
    render(<ChatScreen auth={testAuth()} api={api} onLogout={() => {}} />);
    const log = await screen.findByRole('log', { name: 'Messages' });
    await vi.waitFor(() => expect(within(log).getByText('message 1')).toBeTruthy());
    await act(async () => {}); // let the open conversation's follow-ups (marks, receipts) settle
    const before = { ...renders };

    act(() => socket.fire('typing', { conversationId: open.id, userId: other, isTyping: true }));
    expect(screen.getByText('Olga is typing…')).toBeTruthy();
    expect(renders).toEqual(before);

    // Presence is the layout's (the list shows it): that does re-render it.
    act(() => socket.fire('user:status', { userId: other, status: 'online', lastSeenAt: null }));
    expect(renders.list).toBeGreaterThan(before.list);
  });

  it('shows what is waiting in the tab title and on the favicon; a muted chat only by its mentions', async () => {
    window.location.hash = '';
    document.head.innerHTML = '<link rel="icon" type="image/svg+xml" href="/favicon.svg" />';
    const [plain, muted] = summaries(2).map((summary, i) => ({
      ...summary,
      lastSeq: i === 0 ? 2 : 5,
      muted: i === 1,
      unreadMentions: i === 1 ? 1 : 0,
    }));
    const api = testApi([plain, muted] as typeof list, { blocks: async () => ({ blocks: [] }) });
    const view = render(<ChatScreen auth={testAuth()} api={api} onLogout={() => {}} />);
    await vi.waitFor(() => expect(document.title).toBe('(3) Palaver'));
    const icon = document.head.querySelector('link[rel="icon"]') as HTMLLinkElement;
    expect(decodeURIComponent(icon.href)).toContain('>3</text>');
    view.unmount();
    expect(document.title).toBe('Palaver');
    expect(icon.getAttribute('href')).toBe('/favicon.svg');
    document.head.innerHTML = '';
  });
});
