import { render, screen } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { conversation, conversationState, id, me, message, other, users } from '../test-support/fixtures.ts';
import { ConversationList, type ConversationListProps } from './conversation-list.tsx';

function setup(overrides: Partial<ConversationListProps> = {}) {
  const props: ConversationListProps = {
    conversations: [],
    status: 'ready',
    me,
    users,
    presence: {},
    selectedId: null,
    onSelect: vi.fn(),
    onRetry: vi.fn(),
    ...overrides,
  };
  render(<ConversationList {...props} />);
  return props;
}

describe('ConversationList', () => {
  it('shows each conversation with its title, last message, unread count and presence', async () => {
    const direct = conversationState([message(1), message(2, { body: 'see you\nsoon' })]);
    const group = conversationState(
      [message(1, { conversationId: id(200), senderId: me, body: 'hello team' })],
      {},
      conversation({ id: id(200), type: 'group', title: 'Team' }),
    );
    group.conversation.members = group.conversation.members.map((member) =>
      member.userId === me ? { ...member, lastReadSeq: 1 } : member,
    );
    const props = setup({
      conversations: [direct, group],
      presence: { [other]: { status: 'online', lastSeenAt: null } },
    });

    // Each row is read whole: who, presence, time, the last message and the unread count.
    expect(screen.getAllByRole('button')).toEqual([
      screen.getByRole('button', { name: /^Olga ?online.*see you soon.*2 ?unread$/ }),
      screen.getByRole('button', { name: /^Team.*You: hello team$/ }),
    ]);
    expect(screen.getByText('see you soon')).toBeTruthy();
    expect(screen.getByText('You: hello team')).toBeTruthy();
    expect(screen.getByTestId('unread-badge').textContent).toBe('2 unread');

    await userEvent.click(screen.getByRole('button', { name: /^Team/ }));
    expect(props.onSelect).toHaveBeenCalledWith(id(200));
  });

  it("names the sender in a group's preview, not in a direct chat's", () => {
    const direct = conversationState([message(1, { body: 'hi there' })]);
    const group = conversationState(
      [message(1, { conversationId: id(300), body: 'lunch at one?' })],
      {},
      conversation({ id: id(300), type: 'group', title: 'Lunch' }),
    );
    setup({ conversations: [direct, group] });
    expect(screen.getByText('hi there')).toBeTruthy();
    expect(screen.getByText('Olga: lunch at one?')).toBeTruthy();
  });

  it('marks the open conversation and hides its badge', () => {
    const direct = conversationState([message(1)]);
    setup({ conversations: [direct], selectedId: direct.conversation.id });
    expect(screen.getByRole('button').getAttribute('aria-current')).toBe('true');
    expect(screen.queryByTestId('unread-badge')).toBeNull();
  });

  it('says what to do when empty, while loading, and after an error', async () => {
    const { unmount } = render(
      <ConversationList
        conversations={[]}
        status="loading"
        me={me}
        users={users}
        presence={{}}
        selectedId={null}
        onSelect={vi.fn()}
        onRetry={vi.fn()}
      />,
    );
    expect(screen.getByRole('status').textContent).toMatch(/Loading conversations/);
    unmount();

    const props = setup({ status: 'error' });
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(props.onRetry).toHaveBeenCalled();
  });

  it('invites a first chat when there is none', () => {
    setup();
    expect(screen.getByText(/No conversations yet/)).toBeTruthy();
  });
});
