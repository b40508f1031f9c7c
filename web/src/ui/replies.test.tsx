import type { QuotedMessage } from '@palaver/contracts';
import { render, screen } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { conversationState, me, message, other } from '../test-support/fixtures.ts';
import { messageListProps } from '../test-support/message-list-props.ts';
import { MessageList, type MessageListProps } from './message-list.tsx';

const quote = (overrides: Partial<QuotedMessage> = {}): QuotedMessage => ({
  messageId: message(1).id,
  seq: 1,
  senderId: other,
  kind: 'text',
  excerpt: 'message 1',
  attachmentCount: 0,
  deleted: false,
  ...overrides,
});

function setup(messages: ReturnType<typeof message>[], overrides: Partial<MessageListProps> = {}) {
  const props = messageListProps({
    state: conversationState(messages),
    onReply: vi.fn(),
    onOpenThread: vi.fn(),
    onJumpTo: vi.fn(),
    heldAt: (seq) => messages.find((m) => m.seq === seq),
    ...overrides,
  });
  render(<MessageList {...props} />);
  return props;
}

describe('replies in the message list', () => {
  it('quote the held original as it is now, and go to it on a click', async () => {
    const props = setup([
      message(1, { body: 'edited since' }),
      message(2, { senderId: me, body: 'my answer', replyTo: quote({ excerpt: 'as first sent' }) }),
    ]);
    const quoted = screen.getByRole('button', { name: 'In reply to Olga edited since' });
    await userEvent.click(quoted);
    expect(props.onJumpTo).toHaveBeenCalledWith(1);
  });

  it('show a deleted original as a tombstone that goes nowhere, and a quoted picture as Photo', () => {
    setup([
      message(2, { replyTo: quote({ deleted: true, excerpt: null }) }),
      message(3, { replyTo: quote({ seq: 9, kind: 'image', excerpt: null, attachmentCount: 1 }) }),
    ]);
    const tombstone = screen.getByRole('button', { name: 'In reply to Olga Message deleted' });
    expect((tombstone as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByRole('button', { name: 'In reply to Olga Photo' })).toBeTruthy();
  });

  it('show a root’s thread summary and a reply’s way to its thread, each opening the root’s thread', async () => {
    const props = setup([
      message(1, {
        thread: { replyCount: 2, lastReplyAt: message(3).createdAt, participantIds: [me, other] },
      }),
      message(2, { threadRootSeq: 1 }),
    ]);
    await userEvent.click(screen.getByRole('button', { name: /^2 replies Last reply .*, open the thread$/ }));
    expect(props.onOpenThread).toHaveBeenLastCalledWith(1);
    await userEvent.click(screen.getByRole('button', { name: 'Replied in a thread' }));
    expect(props.onOpenThread).toHaveBeenLastCalledWith(1);
  });

  it('offer Reply and Reply in thread in the message menu (a reply’s thread is its root’s)', async () => {
    const props = setup([message(1), message(2, { threadRootSeq: 1, body: 'in the thread' })]);
    const row = screen.getByText('in the thread').closest('li') as HTMLElement;
    await userEvent.click(row.querySelector('button.more-actions') as HTMLElement);
    await userEvent.click(screen.getByRole('menuitem', { name: 'Reply in thread' }));
    expect(props.onOpenThread).toHaveBeenCalledWith(1);
    await userEvent.click(row.querySelector('button.more-actions') as HTMLElement);
    await userEvent.click(screen.getByRole('menuitem', { name: 'Reply' }));
    expect(props.onReply).toHaveBeenCalledWith(expect.objectContaining({ seq: 2 }));
  });
});
