import type { PublicUser } from '@palaver/contracts';
import { act, fireEvent, render, screen, within } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PendingMessage } from '../chat/chat-state.ts';
import { conversation, conversationState, me, message, other, users } from '../test-support/fixtures.ts';
import { messageListProps } from '../test-support/message-list-props.ts';
import { MessageList, type MessageListProps } from './message-list.tsx';
import { UploadLinksContext } from './upload-links.ts';

function setup(overrides: Partial<MessageListProps> = {}) {
  const props = messageListProps(overrides);
  const view = render(<MessageList {...props} />);
  return {
    ...props,
    rerender: (next: Partial<MessageListProps>) => view.rerender(<MessageList {...props} {...next} />),
  };
}

// jsdom lays nothing out and has no scrollIntoView: record the calls instead.
const scrollIntoView = vi.fn();
beforeEach(() => {
  scrollIntoView.mockClear();
  Element.prototype.scrollIntoView = scrollIntoView;
});
afterEach(() => {
  delete (Element.prototype as Partial<Element>).scrollIntoView;
  vi.restoreAllMocks();
});

/** Gives the scroller a size: 1000px of messages in a 300px window, scrolled to `top`. */
function sizeScroller(top: number) {
  const scroller = document.querySelector('.message-scroller') as HTMLElement;
  const at = { top };
  Object.defineProperty(scroller, 'scrollHeight', { configurable: true, get: () => 1000 });
  Object.defineProperty(scroller, 'clientHeight', { configurable: true, get: () => 300 });
  Object.defineProperty(scroller, 'scrollTop', {
    configurable: true,
    get: () => at.top,
    set: (value: number) => {
      at.top = Math.min(value, 700);
    },
  });
  return {
    scrollTo: (value: number) => {
      at.top = value;
      fireEvent.scroll(scroller);
    },
    get top() {
      return at.top;
    },
  };
}

const moreActions = (row: HTMLElement) => within(row).getByRole('button', { name: 'More actions' });
const messageRow = (text: string) => screen.getByText(text).closest('li') as HTMLElement;

const rows = () => within(screen.getByRole('log', { name: 'Messages' })).getAllByRole('listitem');

describe('MessageList', () => {
  it('groups messages by day and by sender', () => {
    const yesterday = (seq: number) => new Date(Date.now() - 86_400_000 + seq * 1000).toISOString();
    const today = (seq: number) => new Date(Date.now() - 60_000 + seq * 1000).toISOString();
    setup({
      state: conversationState([
        message(1, { createdAt: yesterday(1) }),
        message(2, { createdAt: yesterday(2) }),
        message(3, { createdAt: today(3) }),
        message(4, { createdAt: today(4), senderId: me }),
        message(5, { createdAt: today(5) }),
      ]),
    });
    expect(screen.getAllByRole('heading', { level: 3 }).map((h) => h.textContent)).toEqual([
      'Yesterday',
      'Today',
    ]);
    // Olga's name heads each run of her messages: 1–2, then 3 (new day), then 5 (after mine).
    expect(screen.getAllByText('Olga')).toHaveLength(3);
    expect(rows()).toHaveLength(7);
  });

  it("puts the sender's avatar beside their name at the head of each run, not beside mine", () => {
    const olga = users[other] as PublicUser;
    const resolve = vi.fn(async () => ({ url: '/o', thumbnailUrl: '/olga.webp' }));
    render(
      <UploadLinksContext.Provider value={resolve}>
        <MessageList
          {...messageListProps({
            state: conversationState([message(1), message(2, { senderId: me }), message(3)]),
            users: { ...users, [other]: { ...olga, avatar: { uploadId: 'f'.repeat(24) } } },
          })}
        />
      </UploadLinksContext.Provider>,
    );
    const heads = [...document.querySelectorAll('.message-sender')];
    expect(heads.map((head) => head.querySelector('.avatar.small')?.textContent)).toEqual([
      'OL',
      undefined,
      'OL',
    ]);
    expect(resolve).toHaveBeenCalledWith('f'.repeat(24));
  });

  it('shows own messages pending → sent → delivered → read', () => {
    const mine = [1, 2, 3].map((seq) => message(seq, { senderId: me, body: `mine ${seq}` }));
    const pending: PendingMessage = {
      conversationId: message(1).conversationId,
      clientMessageId: 'p1',
      body: 'on its way',
      attachments: [],
      createdAt: new Date().toISOString(),
    };
    setup({
      state: conversationState(mine, {}, conversation({}, { read: 1, delivered: 2 })),
      pending: [pending],
    });
    const labels = screen.getAllByRole('img').map((img) => img.getAttribute('aria-label'));
    expect(labels).toEqual(['Read', 'Delivered', 'Sent', 'Sending']);
    // Said on hover too, and read marks are drawn apart from delivered ones, not by colour alone.
    expect(screen.getAllByRole('img').map((img) => img.getAttribute('title'))).toEqual(labels);
    expect(screen.getAllByRole('img').map((img) => img.className)).toEqual([
      'status status-read',
      'status status-delivered',
      'status status-sent',
      'status status-pending',
    ]);
    expect(screen.getByText('on its way')).toBeTruthy();
  });

  it('offers retry and discard for a message the server refused', async () => {
    const props = setup({
      pending: [
        {
          conversationId: 'x',
          clientMessageId: 'p9',
          body: 'refused',
          attachments: [],
          createdAt: new Date().toISOString(),
          error: 'Not allowed.',
        },
      ],
    });
    expect(screen.getByRole('img', { name: 'Not sent' })).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(props.onRetry).toHaveBeenCalledWith('p9');
    await userEvent.click(screen.getByRole('button', { name: 'Discard' }));
    expect(props.onDiscard).toHaveBeenCalledWith('p9');
  });

  it('edits an own message from its action menu with Enter, and deletes after confirming', async () => {
    vi.spyOn(window, 'confirm').mockReturnValue(true);
    const props = setup({ state: conversationState([message(1, { senderId: me, body: 'tpyo' })]) });
    const row = messageRow('tpyo');
    await userEvent.click(moreActions(row));
    const menu = screen.getByRole('menu', { name: 'Message actions' });
    expect(
      within(menu)
        .getAllByRole('menuitem')
        .map((item) => item.getAttribute('aria-label')),
    ).toEqual(['React', 'Edit message', 'Delete message']);
    await userEvent.click(within(menu).getByRole('menuitem', { name: 'Edit message' }));
    expect(screen.queryByRole('menu')).toBeNull();
    const field = screen.getByRole('textbox', { name: 'Edit message' });
    expect(document.activeElement).toBe(field);
    await userEvent.clear(field);
    await userEvent.type(field, 'typo fixed{Enter}');
    expect(props.onEdit).toHaveBeenCalledWith(1, 'typo fixed');
    // The form is gone; focus is back on the message's actions, not lost.
    expect(document.activeElement).toBe(moreActions(row));
    await userEvent.click(moreActions(row));
    await userEvent.click(screen.getByRole('menuitem', { name: 'Delete message' }));
    expect(props.onDelete).toHaveBeenCalledWith(1);
  });

  it('scrolls the edit form into view, so Save and Cancel are not left under the composer', async () => {
    setup({ state: conversationState([message(1, { senderId: me }), message(2, { senderId: me })]) });
    await userEvent.click(moreActions(messageRow('message 2')));
    scrollIntoView.mockClear();
    await userEvent.click(screen.getByRole('menuitem', { name: 'Edit message' }));
    const form = screen.getByRole('textbox', { name: 'Edit message' }).closest('form');
    expect(scrollIntoView).toHaveBeenCalledWith({ block: 'nearest' });
    expect(scrollIntoView.mock.contexts).toContain(form);
    expect(within(form as HTMLElement).getByRole('button', { name: 'Save' })).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('textbox', { name: 'Edit message' })).toBeNull();
  });

  it('offers only React on someone else’s message, and reacts from the keyboard', async () => {
    const props = setup({ state: conversationState([message(1)]) });
    const button = moreActions(messageRow('message 1'));
    expect(button.getAttribute('aria-haspopup')).toBe('menu');
    button.focus();
    await userEvent.keyboard('{Enter}');
    expect(button.getAttribute('aria-expanded')).toBe('true');
    expect(screen.getAllByRole('menuitem').map((item) => item.getAttribute('aria-label'))).toEqual(['React']);
    expect(document.activeElement?.getAttribute('aria-label')).toBe('React');
    await userEvent.keyboard('{Enter}');
    const reactions = screen.getByRole('menu', { name: 'Choose a reaction' });
    expect(document.activeElement).toBe(within(reactions).getByRole('menuitem', { name: 'React with 👍' }));
    await userEvent.keyboard('{ArrowRight}{Enter}');
    expect(props.onReact).toHaveBeenCalledWith(1, '❤️');
    expect(screen.queryByRole('menu')).toBeNull();
    expect(document.activeElement).toBe(button);
  });

  it('moves through the menu with arrows, Home and End, and Escape closes it', async () => {
    setup({ state: conversationState([message(1, { senderId: me })]) });
    const button = moreActions(messageRow('message 1'));
    const focused = () => document.activeElement?.getAttribute('aria-label');
    button.focus();
    await userEvent.keyboard('{ArrowUp}');
    expect(focused()).toBe('Delete message');
    await userEvent.keyboard('{ArrowDown}');
    expect(focused()).toBe('React');
    await userEvent.keyboard('{ArrowDown}');
    expect(focused()).toBe('Edit message');
    await userEvent.keyboard('{End}');
    expect(focused()).toBe('Delete message');
    await userEvent.keyboard('{Home}');
    expect(focused()).toBe('React');
    await userEvent.keyboard('{Escape}');
    expect(screen.queryByRole('menu')).toBeNull();
    expect(document.activeElement).toBe(button);
    expect(button.getAttribute('aria-expanded')).toBe('false');

    await userEvent.keyboard('{ArrowDown}');
    expect(focused()).toBe('React');
    await userEvent.click(screen.getByText('message 1'));
    expect(screen.queryByRole('menu')).toBeNull();
  });

  it('opens the menu on a long press by touch, not by a mouse', () => {
    vi.useFakeTimers();
    try {
      setup({ state: conversationState([message(1, { senderId: me })]) });
      const bubble = screen.getByText('message 1').closest('.bubble') as HTMLElement;
      fireEvent.pointerDown(bubble, { pointerType: 'mouse' });
      act(() => vi.advanceTimersByTime(800));
      expect(screen.queryByRole('menu')).toBeNull();
      fireEvent.pointerDown(bubble, { pointerType: 'touch' });
      act(() => vi.advanceTimersByTime(200));
      fireEvent.pointerUp(bubble, { pointerType: 'touch' });
      act(() => vi.advanceTimersByTime(800));
      expect(screen.queryByRole('menu')).toBeNull();
      fireEvent.pointerDown(bubble, { pointerType: 'touch' });
      act(() => vi.advanceTimersByTime(600));
      expect(screen.getByRole('menu', { name: 'Message actions' })).toBeTruthy();
      expect(document.activeElement?.getAttribute('aria-label')).toBe('React');
    } finally {
      vi.useRealTimers();
    }
  });

  it('shows tombstones, edits and system lines, and no actions on others’ messages', () => {
    setup({
      state: conversationState([
        message(1, { body: null, deletedAt: new Date().toISOString() }),
        message(2, { body: 'changed', editedAt: new Date().toISOString() }),
        message(3, {
          kind: 'system',
          body: JSON.stringify({ event: 'member_added', by: me, userIds: [message(1).senderId] }),
        }),
      ]),
    });
    expect(screen.getByText('This message was deleted')).toBeTruthy();
    expect(screen.getByText('edited')).toBeTruthy();
    expect(screen.getByText('You added Olga')).toBeTruthy();
    expect(screen.queryByRole('button', { name: /Edit/ })).toBeNull();
    // The deleted message and the system line have no actions; the edited one does.
    expect(screen.getAllByRole('button', { name: 'More actions' })).toHaveLength(1);
  });

  it('loads earlier messages on request, and says when there are none yet', async () => {
    const props = setup({ state: conversationState([message(1)], { hasOlder: true }), loadingOlder: true });
    expect(screen.getByRole('status').textContent).toMatch(/Loading earlier/);
    expect(props.onLoadOlder).not.toHaveBeenCalled();
    screen.getByRole('status').remove();

    const empty = setup({ state: conversationState([]) });
    expect(screen.getByText(/No messages yet/)).toBeTruthy();
    expect(empty.onLoadOlder).not.toHaveBeenCalled();
  });

  it('marks where the unread messages start and opens there', () => {
    setup({
      state: conversationState([message(1), message(2, { senderId: me }), message(3), message(4)]),
      unreadAfter: 1,
    });
    const divider = screen.getByText('New messages').closest('li') as HTMLElement;
    // Above the first unread message that is not my own.
    expect(divider.nextElementSibling).toBe(messageRow('message 3'));
    expect(divider.previousElementSibling).toBe(messageRow('message 2'));
    expect(scrollIntoView.mock.contexts).toEqual([divider]);
    expect(scrollIntoView).toHaveBeenCalledWith({ block: 'start' });
  });

  it('draws no line when nothing was unread', () => {
    setup({ state: conversationState([message(1), message(2)]), unreadAfter: null });
    expect(screen.queryByText('New messages')).toBeNull();
    expect(scrollIntoView).not.toHaveBeenCalled();
  });

  it('counts messages that arrive while scrolled up, and jumps to the latest', async () => {
    const held = [message(1), message(2)];
    const props = setup({ state: conversationState(held) });
    const scroller = sizeScroller(700);
    scroller.scrollTo(200);
    props.rerender({ state: conversationState([...held, message(3), message(4)]) });
    const jump = screen.getByRole('button', { name: '2 new messages, jump to the latest' });
    expect(jump.textContent).toBe('↓ 2 new messages, jump to the latest');
    expect(scroller.top).toBe(200);

    await userEvent.click(jump);
    expect(scroller.top).toBe(700);
    expect(screen.queryByRole('button', { name: /new message/ })).toBeNull();

    // At the bottom, new messages follow without a button.
    props.rerender({ state: conversationState([...held, message(3), message(4), message(5)]) });
    expect(screen.queryByRole('button', { name: /new message/ })).toBeNull();
  });

  it('hides the count once the reader scrolls down by themselves; own messages are not counted', () => {
    const held = [message(1)];
    const props = setup({ state: conversationState(held) });
    const scroller = sizeScroller(700);
    scroller.scrollTo(100);
    props.rerender({ state: conversationState([...held, message(2)]) });
    expect(screen.getByRole('button', { name: '1 new message, jump to the latest' })).toBeTruthy();
    scroller.scrollTo(700);
    expect(screen.queryByRole('button', { name: /new message/ })).toBeNull();

    scroller.scrollTo(100);
    props.rerender({ state: conversationState([...held, message(2), message(3, { senderId: me })]) });
    // Sending brings the view down to it, and there is nothing new to count.
    expect(scroller.top).toBe(700);
    expect(screen.queryByRole('button', { name: /new message/ })).toBeNull();
  });
});
