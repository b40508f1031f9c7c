import { render, screen, within } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { PendingMessage } from '../chat/chat-state.ts';
import { conversation, conversationState, me, message, users } from '../test-support/fixtures.ts';
import { MessageList, type MessageListProps } from './message-list.tsx';

function setup(overrides: Partial<MessageListProps> = {}) {
  const props: MessageListProps = {
    state: conversationState([]),
    pending: [],
    me,
    users,
    loadingOlder: false,
    onLoadOlder: vi.fn(),
    onEdit: vi.fn(async () => {}),
    onDelete: vi.fn(async () => {}),
    onReact: vi.fn(async () => {}),
    onRetry: vi.fn(),
    onDiscard: vi.fn(),
    ...overrides,
  };
  render(<MessageList {...props} />);
  return props;
}

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

  it('edits an own message with Enter and deletes after confirming', async () => {
    vi.spyOn(window, 'confirm').mockReturnValue(true);
    const props = setup({ state: conversationState([message(1, { senderId: me, body: 'tpyo' })]) });
    await userEvent.click(screen.getByRole('button', { name: 'Edit message' }));
    const field = screen.getByRole('textbox', { name: 'Edit message' });
    await userEvent.clear(field);
    await userEvent.type(field, 'typo fixed{Enter}');
    expect(props.onEdit).toHaveBeenCalledWith(1, 'typo fixed');
    await userEvent.click(screen.getByRole('button', { name: 'Delete message' }));
    expect(props.onDelete).toHaveBeenCalledWith(1);
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
});
