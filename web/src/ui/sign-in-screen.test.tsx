import type { AuthResult } from '@palaver/contracts';
import { render, screen } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { PalaverApi } from '../api/palaver-api.ts';
import { SignInScreen } from './sign-in-screen.tsx';

describe('SignInScreen', () => {
  it('logs in', async () => {
    const result = { user: { id: 'u' } } as unknown as AuthResult;
    const api = { login: vi.fn(async () => result), register: vi.fn(async () => result) };
    const onSignedIn = vi.fn();
    render(<SignInScreen api={api as unknown as PalaverApi} onSignedIn={onSignedIn} />);
    expect(screen.queryByLabelText('Display name')).toBeNull();
    await userEvent.type(screen.getByLabelText('Username'), 'olga');
    await userEvent.type(screen.getByLabelText('Password'), 'correct horse');
    await userEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect(api.login).toHaveBeenCalledWith({ username: 'olga', password: 'correct horse' });
    expect(onSignedIn).toHaveBeenCalledWith(result);
  });

  it('creates an account with a display name', async () => {
    const api = { register: vi.fn(async () => ({}) as AuthResult) };
    render(<SignInScreen api={api as unknown as PalaverApi} onSignedIn={vi.fn()} />);
    await userEvent.type(screen.getByLabelText('Username'), 'olga');
    await userEvent.type(screen.getByLabelText('Password'), 'correct horse');
    await userEvent.click(screen.getByRole('button', { name: 'Create an account' }));
    expect(screen.getByRole('heading', { name: 'Create an account' })).toBeTruthy();
    await userEvent.type(screen.getByLabelText('Display name'), 'Olga K');
    await userEvent.click(screen.getByRole('button', { name: 'Create account' }));
    expect(api.register).toHaveBeenCalledWith({
      username: 'olga',
      password: 'correct horse',
      displayName: 'Olga K',
    });
  });
});
