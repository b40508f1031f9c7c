import type { ConversationSummary, MessagePage } from '@palaver/contracts';
import { render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeSocket } from '../test-support/fake-socket.ts';
import { conversation, me, message, testApi, testAuth } from '../test-support/fixtures.ts';
import { ChatScreen } from './chat-screen.tsx';

let socket: FakeSocket;
vi.mock('../realtime/gateway-socket.ts', () => ({
  connectGateway: () => socket,
  refusalCode: () => undefined,
}));

const held = conversation();
const history = [1, 2, 3, 4, 5].map((seq) => message(seq, { conversationId: held.id }));

/** The conversation as the list has it: read by me up to `readSeq`, five messages in all. */
function summary(readSeq: number): ConversationSummary {
  return {
    ...held,
    lastSeq: 5,
    lastMessageAt: history[4]?.createdAt ?? null,
    members: held.members.map((member) =>
      member.userId === me ? { ...member, lastReadSeq: readSeq } : member,
    ),
    unreadCount: 5 - readSeq,
    unreadMentions: 0,
    muted: false,
    lastMessage: history[4] ?? null,
  };
}

function open(readSeq: number) {
  const markRead = vi.fn(async () => {});
  const api = testApi([summary(readSeq)], {
    messages: async () => ({ messages: history, hasMore: false, changeSeq: 0 }) as MessagePage,
    conversation: async () => held,
    blocks: async () => ({ blocks: [] }),
    markRead,
  });
  render(<ChatScreen auth={testAuth()} api={api} onLogout={() => {}} />);
  return { markRead };
}

describe('ConversationView', () => {
  beforeEach(() => {
    socket = new FakeSocket();
    localStorage.clear();
    window.location.hash = `#/c/${held.id}`;
    Element.prototype.scrollIntoView = vi.fn();
  });
  afterEach(() => {
    window.location.hash = '';
    delete (Element.prototype as Partial<Element>).scrollIntoView;
  });

  it('opens with unread messages at a "New messages" line, which stays while they are read', async () => {
    const { markRead } = open(3);
    const log = await screen.findByRole('log', { name: 'Messages' });
    const divider = await within(log).findByText('New messages');
    const items = within(log).getAllByRole('listitem');
    const at = items.indexOf(divider.closest('li') as HTMLElement);
    expect(items[at - 1]?.textContent).toMatch(/message 3/);
    expect(items[at + 1]?.textContent).toMatch(/message 4/);
    // Opened there rather than at the bottom.
    expect(vi.mocked(Element.prototype.scrollIntoView).mock.contexts).toContain(divider.closest('li'));
    // Reading marks everything read; the line does not move or vanish while the chat is open.
    await vi.waitFor(() => expect(markRead).toHaveBeenCalledWith(held.id, 5));
    expect(within(log).getByText('New messages')).toBeTruthy();
  });

  it('draws no line when everything was read', async () => {
    open(5);
    const log = await screen.findByRole('log', { name: 'Messages' });
    await within(log).findByText('message 5');
    expect(within(log).queryByText('New messages')).toBeNull();
  });
});
