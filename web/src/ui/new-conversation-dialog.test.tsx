import type { PublicUser } from '@palaver/contracts';
import { render, screen } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { PalaverApi } from '../api/palaver-api.ts';
import type { ChatClient } from '../chat/chat-client.ts';
import { me, other, users } from '../test-support/fixtures.ts';
import { NewConversationDialog } from './new-conversation-dialog.tsx';

describe('NewConversationDialog', () => {
  it('creates a group with a title and members, keeping them across a switch to Direct and back', async () => {
    const olga = users[other] as PublicUser;
    const api = { searchUsers: vi.fn(async () => ({ users: [olga] })) };
    const client = { me, createGroup: vi.fn(async () => 'g1'), startDirect: vi.fn() };
    const onOpen = vi.fn();
    render(
      <NewConversationDialog
        api={api as unknown as PalaverApi}
        client={client as unknown as ChatClient}
        onOpen={onOpen}
        onClose={vi.fn()}
      />,
    );
    await userEvent.click(screen.getByRole('button', { name: 'Group' }));
    await userEvent.click(screen.getByRole('button', { name: 'Create group' }));
    expect(screen.getByRole('alert').textContent).toBe('Give the group a title.');
    await userEvent.type(screen.getByLabelText('Group name'), 'Team');
    await userEvent.type(screen.getByLabelText('Add members'), 'olga');
    await userEvent.click(await screen.findByRole('button', { name: /Olga/ }));
    expect(screen.getByRole('list', { name: 'Members to add' }).textContent).toMatch(/Olga/);

    await userEvent.click(screen.getByRole('button', { name: 'Direct' }));
    await userEvent.click(screen.getByRole('button', { name: 'Group' }));
    expect((screen.getByLabelText('Group name') as HTMLInputElement).value).toBe('Team');
    await userEvent.click(screen.getByRole('button', { name: 'Create group' }));
    expect(client.createGroup).toHaveBeenCalledWith('Team', [other]);
    await vi.waitFor(() => expect(onOpen).toHaveBeenCalledWith('g1'));
  });
});
