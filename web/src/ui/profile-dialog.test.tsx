import { maxAvatarBytes } from '@palaver/contracts/limits';
import { render, screen } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/api-error.ts';
import type { ChatClient } from '../chat/chat-client.ts';
import { me, users } from '../test-support/fixtures.ts';
import { ProfileDialog } from './profile-dialog.tsx';

const myProfile = users[me] as NonNullable<(typeof users)[string]>;
const picture = (type = 'image/png', size = 1000) => new File([new Uint8Array(size)], 'me.png', { type });

function setup(profile = myProfile, saveProfile = vi.fn(async () => undefined)) {
  const onClose = vi.fn();
  const onUploaded = vi.fn();
  render(
    <ProfileDialog
      client={{ saveProfile } as unknown as ChatClient}
      me={profile}
      onUploaded={onUploaded}
      onClose={onClose}
    />,
  );
  return { saveProfile, onClose, onUploaded, user: userEvent.setup() };
}

beforeEach(() => {
  // jsdom has no object URLs; the preview only needs one to exist.
  URL.createObjectURL = vi.fn(() => 'blob:preview');
  URL.revokeObjectURL = vi.fn();
});
afterEach(() => vi.restoreAllMocks());

describe('ProfileDialog', () => {
  it('previews a chosen picture at once and saves it with the new name in one change', async () => {
    const { saveProfile, onClose, onUploaded, user } = setup();
    expect(screen.getByRole('dialog', { name: 'Your profile' })).toBeTruthy();
    expect(screen.getByText('No picture: your initials are shown')).toBeTruthy();
    const field = screen.getByLabelText('Display name');
    expect(document.activeElement).toBe(field);

    const file = picture();
    await user.upload(screen.getByTestId('avatar-input'), file);
    expect(document.querySelector('.avatar.large img')?.getAttribute('src')).toBe('blob:preview');
    expect(screen.getByText('New picture: me.png (not saved yet)')).toBeTruthy();
    expect(saveProfile).not.toHaveBeenCalled();

    await user.clear(field);
    await user.type(field, '  Me Renamed ');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(saveProfile).toHaveBeenCalledWith({ displayName: 'Me Renamed', picture: file }, onUploaded);
    expect(onClose).toHaveBeenCalled();
  });

  it('removes a saved picture, and sends only what changed', async () => {
    const { saveProfile, user } = setup({ ...myProfile, avatar: { uploadId: 'b'.repeat(24) } });
    expect(screen.getByText('Your picture')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Remove picture' }));
    expect(screen.getByText('Picture removed (not saved yet)')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Remove picture' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Choose picture' })).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(saveProfile).toHaveBeenCalledWith({ picture: null }, expect.any(Function));
  });

  it('refuses what is not a PNG, JPEG, WebP or GIF, or too large, before uploading anything', async () => {
    const { saveProfile, user } = setup();
    const input = screen.getByTestId('avatar-input');
    // The picker offers images only; a drop-in of anything else is still checked.
    expect(input.getAttribute('accept')).toBe('image/png,image/jpeg,image/webp,image/gif');
    await userEvent.setup({ applyAccept: false }).upload(input, picture('application/pdf'));
    expect(screen.getByRole('alert').textContent).toBe('Choose a PNG, JPEG, WebP or GIF image.');
    await user.upload(input, picture('image/png', maxAvatarBytes + 1));
    expect(screen.getByRole('alert').textContent).toBe('Choose a picture of at most 5 MB.');
    expect(screen.getByText('No picture: your initials are shown')).toBeTruthy();
    expect(saveProfile).not.toHaveBeenCalled();
  });

  it("shows the server's refusal and stays open, and will not save an empty name", async () => {
    const failing = vi.fn(async () => {
      throw new ApiError('unsupported_type', 'Files of type image/tiff are not accepted', 415);
    });
    const { onClose, user } = setup(myProfile, failing);
    await user.upload(screen.getByTestId('avatar-input'), picture());
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Choose a PNG, JPEG, WebP or GIF image.');
    expect(onClose).not.toHaveBeenCalled();
    expect(screen.getByRole('button', { name: 'Save' }).hasAttribute('disabled')).toBe(false);

    failing.mockClear();
    const field = screen.getByLabelText('Display name');
    await user.clear(field);
    await user.type(field, '   ');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(screen.getByRole('alert').textContent).toBe('Your name cannot be empty.');
    expect(failing).not.toHaveBeenCalled();
  });
});
