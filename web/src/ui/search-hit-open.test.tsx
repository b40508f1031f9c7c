import type { ConversationSummary, MessagePage, SearchPage } from '@palaver/contracts';
import { act, render, screen, within } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeSocket } from '../test-support/fake-socket.ts';
import { conversation, message, testApi, testAuth } from '../test-support/fixtures.ts';
import { ChatScreen } from './chat-screen.tsx';

let socket: FakeSocket;
vi.mock('../realtime/gateway-socket.ts', () => ({
  connectGateway: () => socket,
  refusalCode: () => undefined,
}));

const held = conversation();
const history = Array.from({ length: 120 }, (_, i) => message(i + 1, { conversationId: held.id }));
const summary: ConversationSummary = {
  ...held,
  lastSeq: 120,
  lastMessageAt: history[119]?.createdAt ?? null,
  unreadCount: 0,
  unreadMentions: 0,
  muted: false,
  lastMessage: history[119] ?? null,
};

/** The history API over `history`: newest first before a seq, oldest first after one. */
async function messages(_: string, page: { before?: number; after?: number; limit?: number }) {
  const limit = page.limit ?? 50;
  if (page.after !== undefined) {
    const found = history.filter((m) => m.seq > (page.after ?? 0));
    return { messages: found.slice(0, limit), hasMore: found.length > limit, changeSeq: 0 } as MessagePage;
  }
  const found = history.filter((m) => m.seq < (page.before ?? Number.POSITIVE_INFINITY)).reverse();
  return { messages: found.slice(0, limit), hasMore: found.length > limit, changeSeq: 0 } as MessagePage;
}

function hitApi(messagesApi: typeof messages = messages) {
  return testApi([summary], {
    messages: vi.fn(messagesApi),
    conversation: async () => held,
    blocks: async () => ({ blocks: [] }),
    markRead: async () => {},
    searchMessages: vi.fn(
      async (): Promise<SearchPage> => ({
        results: [
          {
            messageId: history[4]?.id ?? '',
            conversationId: held.id,
            seq: 5,
            senderId: history[4]?.senderId ?? '',
            createdAt: history[4]?.createdAt ?? '',
            editedAt: null,
            rank: 1,
            snippet: {
              text: 'message 5',
              highlights: [{ start: 8, end: 9 }],
              truncatedStart: false,
              truncatedEnd: false,
            },
          },
        ],
        nextCursor: null,
      }),
    ),
  });
}

describe('opening a search hit', () => {
  beforeEach(() => {
    socket = new FakeSocket();
    localStorage.clear();
    window.location.hash = '';
    Element.prototype.scrollIntoView = vi.fn();
  });
  afterEach(() => {
    window.location.hash = '';
    delete (Element.prototype as Partial<Element>).scrollIntoView;
  });

  it('opens the conversation with history loaded back to the message, without a gap, and focuses it', async () => {
    const api = hitApi();
    render(<ChatScreen auth={testAuth()} api={api} onLogout={() => {}} />);
    const entry = await screen.findByRole('button', { name: /^Search messages/ });
    await screen.findByRole('button', { name: /^Olga/ });
    // Ctrl+K opens the search from anywhere.
    await userEvent.keyboard('{Control>}k{/Control}');
    await userEvent.type(screen.getByRole('searchbox', { name: 'Search messages' }), 'message 5');
    const list = await screen.findByRole('list', { name: 'Messages found' });
    await userEvent.click(within(list).getByRole('button'));

    expect(window.location.hash).toBe(`#/c/${held.id}`);
    expect(screen.queryByRole('searchbox')).toBeNull();
    const log = await screen.findByRole('log', { name: 'Messages' });
    await vi.waitFor(() => expect(log.querySelector('li[data-seq="5"]')).not.toBeNull());
    const row = log.querySelector<HTMLElement>('li[data-seq="5"]');
    await vi.waitFor(() => expect(document.activeElement).toBe(row));
    expect(row?.dataset.found).toBe('true');
    expect(row?.scrollIntoView).toHaveBeenCalledWith({ block: 'center' });
    const seqs = [...log.querySelectorAll('li[data-seq]')].map((item) =>
      Number(item.getAttribute('data-seq')),
    );
    expect(seqs).toEqual(history.map((m) => m.seq));
    // The newest page, then one full page back reaches it.
    expect(api.messages).toHaveBeenCalledWith(held.id, { before: 71, limit: 100 });
    expect(entry).toBeTruthy();

    // Back to the list and into the conversation again: it opens as usual, not at the hit.
    const centred = () =>
      vi
        .mocked(Element.prototype.scrollIntoView)
        .mock.calls.filter(([how]) => JSON.stringify(how) === '{"block":"center"}').length;
    const before = centred();
    await userEvent.click(screen.getByRole('button', { name: 'Back to conversations' }));
    await userEvent.click(await screen.findByRole('button', { name: /^Olga/ }));
    await screen.findByRole('log', { name: 'Messages' });
    await act(async () => {});
    expect(centred()).toBe(before);
  });

  it('says so while it loads a long way back, and stops saying it once there', async () => {
    const slowOlder: typeof messages = async (id, page) => {
      if (page.before !== undefined) await new Promise((resolve) => setTimeout(resolve, 700));
      return messages(id, page);
    };
    render(<ChatScreen auth={testAuth()} api={hitApi(slowOlder)} onLogout={() => {}} />);
    await userEvent.click(await screen.findByRole('button', { name: /^Search messages/ }));
    await userEvent.type(screen.getByRole('searchbox', { name: 'Search messages' }), 'message 5');
    await userEvent.click(
      within(await screen.findByRole('list', { name: 'Messages found' })).getByRole('button'),
    );
    const note = await screen.findByText('Loading earlier messages to show the one you chose…');
    expect(note.getAttribute('role')).toBe('status');
    const log = await screen.findByRole('log', { name: 'Messages' });
    await vi.waitFor(() => expect(document.activeElement).toBe(log.querySelector('li[data-seq="5"]')));
    await vi.waitFor(() => expect(screen.queryByText(/Loading earlier messages to show/)).toBeNull());
  });
});
