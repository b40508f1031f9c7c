import { render, screen } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ChatClient } from '../chat/chat-client.ts';
import { other, testApi, testAuth, users } from '../test-support/fixtures.ts';
import { BlockedPeople } from './blocked-people.tsx';
import { ChatClientContext } from './use-chat.ts';

function setup(blocked: string[], setBlocked = vi.fn(async () => {})) {
  const client = new ChatClient(testAuth(), testApi([]));
  client.store.update((state) => ({ ...state, blocked, users: { ...state.users, ...users } }));
  client.setBlocked = setBlocked;
  render(
    <ChatClientContext value={client}>
      <BlockedPeople />
    </ChatClientContext>,
  );
  return { client, setBlocked };
}

describe('BlockedPeople', () => {
  it('lists whom I blocked, each with Unblock', async () => {
    const { setBlocked } = setup([other]);
    expect(screen.getByRole('region', { name: 'Blocked people' }).textContent).toContain('Olga');
    await userEvent.click(screen.getByRole('button', { name: 'Unblock Olga' }));
    expect(setBlocked).toHaveBeenCalledWith(other, false);
  });

  it('shows nothing when nobody is blocked, and says so when unblocking fails', async () => {
    const failing = vi.fn(async () => {
      throw new Error('offline');
    });
    const { client } = setup([], failing);
    expect(screen.queryByRole('region', { name: 'Blocked people' })).toBeNull();
    client.store.update((state) => ({ ...state, blocked: [other] }));
    await userEvent.click(await screen.findByRole('button', { name: 'Unblock Olga' }));
    expect((await screen.findByRole('alert')).textContent).toContain('Could not unblock Olga');
  });
});
