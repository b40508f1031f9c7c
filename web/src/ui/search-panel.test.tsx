import type { SearchHit, SearchPage } from '@palaver/contracts';
import { maxSearchTerms } from '@palaver/contracts/limits';
import { fireEvent, render, screen, within } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/api-error.ts';
import type { ChatClient } from '../chat/chat-client.ts';
import { type ChatState, initialChatState } from '../chat/chat-state.ts';
import { ChatStore } from '../chat/chat-store.ts';
import { conversation, conversationState, id, me, other, users } from '../test-support/fixtures.ts';
import { SearchPanel } from './search-panel.tsx';
import { snippetRuns } from './search-snippet.tsx';
import { ChatClientContext } from './use-chat.ts';

const direct = conversation();
const group = conversation({ id: id(200), type: 'group', title: 'Trip planning' });

function hit(
  n: number,
  text: string,
  highlights: SearchHit['snippet']['highlights'],
  overrides: Partial<SearchHit> = {},
): SearchHit {
  return {
    messageId: id(5000 + n),
    conversationId: group.id,
    seq: n,
    senderId: other,
    createdAt: '2026-11-25T10:00:00.000Z',
    editedAt: null,
    rank: 1,
    snippet: { text, highlights, truncatedStart: false, truncatedEnd: false },
    ...overrides,
  };
}

/** The panel over a chat client whose only server is `search`. */
function renderPanel(
  search: (query: Parameters<ChatClient['searchMessages']>[0]) => Promise<SearchPage>,
  options: { conversationId?: string | null; narrowed?: boolean } = {},
) {
  const state: ChatState = {
    ...initialChatState(me),
    users,
    conversations: {
      [direct.id]: conversationState([], {}, direct),
      [group.id]: conversationState([], {}, group),
    },
  };
  const searchMessages = vi.fn(search);
  const client = { store: new ChatStore(state), searchMessages } as unknown as ChatClient;
  const onOpen = vi.fn();
  let mounted = true;
  const unmountPanel = () => {
    if (mounted) view.unmount();
    mounted = false;
  };
  // As the layout does: closing takes the panel away.
  const onClose = vi.fn(unmountPanel);
  const opener = document.createElement('button');
  document.body.append(opener);
  opener.focus();
  const view = render(
    <ChatClientContext.Provider value={client}>
      <SearchPanel
        conversationId={options.conversationId ?? null}
        narrowed={options.narrowed ?? false}
        onOpen={onOpen}
        onClose={onClose}
      />
    </ChatClientContext.Provider>,
  );
  const box = screen.getByRole('searchbox', { name: 'Search messages' });
  return {
    searchMessages,
    onOpen,
    onClose,
    opener,
    box,
    unmount: () => {
      unmountPanel();
      opener.remove();
      // Taken away without closing (as when a hit opens): its history entry stays; drop it.
      if (window.history.state?.palaverSearch) window.history.back();
    },
  };
}

const page = (results: SearchHit[], nextCursor: string | null = null): SearchPage => ({
  results,
  nextCursor,
});

describe('SearchPanel', () => {
  // A panel closed by the test before steps back in history: let that land first.
  beforeEach(() => vi.waitFor(() => expect(window.history.state).toBeNull()));

  it('shows who, where and the snippet, marks the matches, and shows HTML-like text as text', async () => {
    const { box, unmount } = renderPanel(async () =>
      page([
        hit(1, 'Say <b>x</b> to the Café', [
          { start: 4, end: 12 },
          { start: 20, end: 24 },
        ]),
        {
          ...hit(2, 'we meet in 北京 tomorrow', [{ start: 11, end: 13 }]),
          conversationId: direct.id,
          senderId: me,
        },
      ]),
    );
    expect(document.activeElement).toBe(box);
    await userEvent.type(box, 'caf');
    const list = await screen.findByRole('list', { name: 'Messages found' });
    const [first, second] = within(list).getAllByRole('button');
    expect(first?.textContent).toContain('Trip planning');
    expect(first?.textContent).toContain('Olga');
    const marks = [...(first?.querySelectorAll('mark') ?? [])].map((mark) => mark.textContent);
    expect(marks).toEqual(['<b>x</b>', 'Café']);
    expect(first?.querySelector('b')).toBeNull();
    expect(first?.querySelector('.search-snippet')?.textContent).toBe('Say <b>x</b> to the Café');
    // A direct chat is titled by the other person; my own message is "You".
    expect(second?.querySelector('.search-hit-title')?.textContent).toBe('Olga');
    expect(second?.querySelector('.search-hit-sender')?.textContent).toBe('You:');
    expect(second?.querySelector('mark')?.textContent).toBe('北京');
    expect(screen.getByRole('status').textContent).toBe('2 messages found');
    unmount();
  });

  it('pages with "Load more" by the cursor, and says when nothing matches', async () => {
    const { box, searchMessages, unmount } = renderPanel(async ({ q, cursor }) => {
      if (q === 'zzz') return page([]);
      return cursor
        ? page([hit(2, 'second trip', [{ start: 7, end: 11 }])])
        : page([hit(1, 'first trip', [{ start: 6, end: 10 }])], 'c1');
    });
    await userEvent.type(box, 'trip');
    await screen.findByText('1+ message found');
    expect(searchMessages).toHaveBeenCalledTimes(1); // typing within the pause asks once
    expect(searchMessages).toHaveBeenLastCalledWith({ q: 'trip', conversationId: undefined });
    await userEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await screen.findByText('2 messages found');
    expect(searchMessages).toHaveBeenLastCalledWith({ q: 'trip', conversationId: undefined, cursor: 'c1' });
    const found = within(screen.getByRole('list', { name: 'Messages found' })).getAllByRole('button');
    expect(found).toHaveLength(2);
    // The first hit the page brought has the focus: the button has gone with the last page.
    expect(document.activeElement).toBe(found[1]);
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();

    await userEvent.clear(box);
    await userEvent.type(box, 'zzz');
    await screen.findByText('No messages match “zzz”.');
    expect(screen.queryByRole('list', { name: 'Messages found' })).toBeNull();
    unmount();
  });

  it("turns the server's refusals into hints, checks the word count first, and offers a retry after a failure", async () => {
    let fail: Error = new ApiError('query_too_short', 'q too short', 400);
    const { box, searchMessages, unmount } = renderPanel(async () => {
      throw fail;
    });
    await userEvent.type(box, 'ab');
    await screen.findByText(/Type a longer word/);
    await userEvent.clear(box);
    await userEvent.type(box, Array.from({ length: maxSearchTerms + 1 }, (_, i) => `word${i}`).join(' '));
    expect(screen.getByRole('status').textContent).toBe(`Use at most ${maxSearchTerms} words.`);
    const asked = searchMessages.mock.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(searchMessages.mock.calls.length).toBe(asked);

    fail = new ApiError('unavailable', '', 503);
    await userEvent.clear(box);
    await userEvent.type(box, 'lunch');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/server is busy/);
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    await vi.waitFor(() => expect(searchMessages.mock.calls.length).toBe(asked + 2));
    unmount();
  });

  it('moves with Up/Down between the box and the hits, waits for an input method to finish, and closes with Escape, focus back', async () => {
    const hits = [1, 2, 3].map((n) => hit(n, `plan ${n}`, [{ start: 0, end: 4 }]));
    const { box, onClose, opener, searchMessages, unmount } = renderPanel(async () => page(hits));
    await userEvent.type(box, 'plan');
    const buttons = within(await screen.findByRole('list', { name: 'Messages found' })).getAllByRole(
      'button',
    );
    await userEvent.keyboard('{ArrowDown}');
    expect(document.activeElement).toBe(buttons[0]);
    await userEvent.keyboard('{ArrowDown}{ArrowDown}{ArrowDown}');
    expect(document.activeElement).toBe(buttons[2]);
    await userEvent.keyboard('{ArrowUp}');
    expect(document.activeElement).toBe(buttons[1]);
    await userEvent.keyboard('{ArrowUp}{ArrowUp}');
    expect(document.activeElement).toBe(box);
    // Typing on a hit goes on in the box.
    await userEvent.keyboard('{ArrowDown}s');
    expect((box as HTMLInputElement).value).toBe('plans');
    // Pinyin on its way to a character is not searched for; the character, once chosen, is.
    await vi.waitFor(() =>
      expect(searchMessages).toHaveBeenLastCalledWith({ q: 'plans', conversationId: undefined }),
    );
    const asked = searchMessages.mock.calls.length;
    fireEvent.compositionStart(box);
    fireEvent.change(box, { target: { value: 'beijing' } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(searchMessages.mock.calls.length).toBe(asked);
    fireEvent.change(box, { target: { value: '北京' } });
    fireEvent.compositionEnd(box);
    await vi.waitFor(() =>
      expect(searchMessages).toHaveBeenLastCalledWith({ q: '北京', conversationId: undefined }),
    );
    // Escape while an input method composes (Chinese, say) is the composition's, not the panel's.
    fireEvent.keyDown(box, { key: 'Escape', isComposing: true });
    expect(onClose).not.toHaveBeenCalled();
    await userEvent.keyboard('{Escape}');
    expect(onClose).toHaveBeenCalled();
    expect(document.activeElement).toBe(opener);
    unmount();
  });

  it("closes on the browser's Back, and takes its history entry off when closed otherwise", async () => {
    const first = renderPanel(async () => page([]));
    expect(window.history.state).toEqual({ palaverSearch: true });
    window.history.back();
    await vi.waitFor(() => expect(first.onClose).toHaveBeenCalled());
    first.unmount();
    const second = renderPanel(async () => page([]));
    await userEvent.keyboard('{Escape}');
    expect(second.onClose).toHaveBeenCalled();
    await vi.waitFor(() => expect(window.history.state).toBeNull());
    second.unmount();
  });

  it('opens the hit chosen with Enter, leaving the focus for the message it shows', async () => {
    const hits = [1, 2].map((n) => hit(n, `plan ${n}`, [{ start: 0, end: 4 }]));
    const { box, onOpen, opener, unmount } = renderPanel(async () => page(hits));
    await userEvent.type(box, 'plan');
    await screen.findByRole('list', { name: 'Messages found' });
    await userEvent.keyboard('{ArrowDown}{ArrowDown}{Enter}');
    expect(onOpen).toHaveBeenCalledWith(hits[1]);
    unmount();
    expect(document.activeElement).not.toBe(opener);
  });

  it('narrows to the open conversation when asked, and widens again', async () => {
    const { box, searchMessages, unmount } = renderPanel(async () => page([]), {
      conversationId: group.id,
      narrowed: true,
    });
    const only = screen.getByRole('checkbox', { name: 'Only in Trip planning' });
    expect((only as HTMLInputElement).checked).toBe(true);
    await userEvent.type(box, 'visa');
    await vi.waitFor(() =>
      expect(searchMessages).toHaveBeenLastCalledWith({ q: 'visa', conversationId: group.id }),
    );
    await userEvent.click(only);
    await vi.waitFor(() =>
      expect(searchMessages).toHaveBeenLastCalledWith({ q: 'visa', conversationId: undefined }),
    );
    unmount();
  });
});

describe('snippetRuns', () => {
  it('cuts at the ranges and leaves a range out of order or past the end unmarked', () => {
    const snippet = { text: 'abcdef', truncatedStart: false, truncatedEnd: false };
    expect(snippetRuns({ ...snippet, highlights: [{ start: 1, end: 3 }] })).toEqual([
      { start: 0, text: 'a', marked: false },
      { start: 1, text: 'bc', marked: true },
      { start: 3, text: 'def', marked: false },
    ]);
    const marked = (highlights: { start: number; end: number }[]) =>
      snippetRuns({ ...snippet, highlights })
        .filter((run) => run.marked)
        .map((run) => run.text);
    expect(
      marked([
        { start: 3, end: 4 },
        { start: 2, end: 5 },
        { start: 5, end: 9 },
      ]),
    ).toEqual(['d']);
  });
});
