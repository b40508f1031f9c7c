import type { MemberRole } from '@palaver/contracts';
import { render, screen } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PalaverApi } from '../api/palaver-api.ts';
import type { ChatClient } from '../chat/chat-client.ts';
import { conversation, conversationState, id, me, other, users } from '../test-support/fixtures.ts';
import { MembersPanel } from './members-panel.tsx';

const third = id(3);
const everyone = {
  ...users,
  [third]: {
    id: third,
    username: 'tom',
    displayName: 'Tom',
    avatar: null,
    createdAt: '2026-01-01T00:00:00.000Z',
  },
};

function setup(myRole: MemberRole, otherRole: MemberRole = 'member') {
  const client = {
    me,
    renameGroup: vi.fn(async () => undefined),
    setRole: vi.fn(async () => undefined),
    transferOwnership: vi.fn(async () => undefined),
    removeMember: vi.fn(async () => undefined),
    addMembers: vi.fn(async () => undefined),
  };
  const group = conversation({ type: 'group', title: 'Team' });
  const member = (userId: string, role: MemberRole) => ({
    ...(group.members[0] as (typeof group.members)[0]),
    userId,
    role,
  });
  group.members = [member(me, myRole), member(other, otherRole)];
  // Someone else owns the group when neither of these two does.
  if (myRole !== 'owner' && otherRole !== 'owner') group.members.push(member(third, 'owner'));
  render(
    <MembersPanel
      api={{} as PalaverApi}
      client={client as unknown as ChatClient}
      state={conversationState([], {}, group)}
      users={everyone}
      presence={{}}
      onLeft={vi.fn()}
      onClose={vi.fn()}
    />,
  );
  return client;
}

afterEach(() => vi.restoreAllMocks());

describe('MembersPanel', () => {
  it('lets the owner rename, make admins and hand the group over, after confirming', async () => {
    const client = setup('owner');
    const confirm = vi.spyOn(window, 'confirm').mockReturnValue(true);

    const name = screen.getByRole('textbox', { name: 'Group name' });
    expect(screen.getByRole('button', { name: 'Rename' })).toHaveProperty('disabled', true);
    await userEvent.clear(name);
    await userEvent.type(name, '  Core team ');
    await userEvent.click(screen.getByRole('button', { name: 'Rename' }));
    expect(client.renameGroup).toHaveBeenCalledWith(id(100), 'Core team');

    await userEvent.click(screen.getByRole('button', { name: 'Make Olga an admin' }));
    expect(client.setRole).toHaveBeenCalledWith(id(100), other, 'admin');

    await userEvent.click(screen.getByRole('button', { name: 'Make Olga the owner' }));
    expect(confirm).toHaveBeenCalledWith('Make Olga the owner? You will become an admin.');
    expect(client.transferOwnership).toHaveBeenCalledWith(id(100), other);
  });

  it('asks before handing over, and does nothing when the owner declines', async () => {
    const client = setup('owner', 'admin');
    vi.spyOn(window, 'confirm').mockReturnValue(false);
    await userEvent.click(screen.getByRole('button', { name: 'Make Olga the owner' }));
    expect(client.transferOwnership).not.toHaveBeenCalled();
    await userEvent.click(screen.getByRole('button', { name: 'Make Olga a member' }));
    expect(client.setRole).toHaveBeenCalledWith(id(100), other, 'member');
  });

  it('gives an admin no handover and no actions on the owner; a member manages nothing', async () => {
    setup('admin');
    expect(screen.queryByRole('button', { name: /the owner$/ })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Remove Tom' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Remove Olga' })).toBeTruthy();
  });

  it('shows a plain member no management at all', () => {
    setup('member');
    expect(screen.queryByRole('textbox', { name: 'Group name' })).toBeNull();
    expect(screen.queryByRole('button', { name: /admin|owner|Remove/ })).toBeNull();
    expect(screen.getByRole('button', { name: 'Leave group' })).toBeTruthy();
  });
});
