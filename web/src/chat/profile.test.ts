import type { PublicUser, Upload } from '@palaver/contracts';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeSocket } from '../test-support/fake-socket.ts';
import { me, summaries, testApi, testAuth, users } from '../test-support/fixtures.ts';
import { ChatClient } from './chat-client.ts';

let socket: FakeSocket;
vi.mock('../realtime/gateway-socket.ts', () => ({
  connectGateway: () => socket,
  refusalCode: () => undefined,
}));
const uploaded = { id: 'c'.repeat(24), purpose: 'avatar', thumbnailUrl: '/t' } as Upload;
const uploadAvatar = vi.fn(async (_auth: unknown, _file: File) => uploaded);
vi.mock('../api/upload-files.ts', () => ({
  uploadAvatar: (auth: unknown, file: File) => uploadAvatar(auth, file),
}));

const mine = users[me] as PublicUser;

function setup() {
  const auth = testAuth();
  const updateUser = vi.spyOn(auth, 'updateUser');
  const updateMe = vi.fn(async (change: { displayName?: string; avatarUploadId?: string | null }) => ({
    ...mine,
    ...(change.displayName ? { displayName: change.displayName } : {}),
    ...(change.avatarUploadId !== undefined
      ? { avatar: change.avatarUploadId ? { uploadId: change.avatarUploadId } : null }
      : {}),
  }));
  const client = new ChatClient(auth, testApi(summaries(0), { updateMe }));
  return { client, updateMe, updateUser };
}

describe('saving my profile', () => {
  beforeEach(() => {
    socket = new FakeSocket();
    uploadAvatar.mockClear();
  });

  it('uploads a new picture as an avatar, then sets it with the new name in one PATCH', async () => {
    const { client, updateMe, updateUser } = setup();
    const onUploaded = vi.fn();
    const file = new File(['x'], 'me.png', { type: 'image/png' });
    await client.saveProfile({ displayName: 'Me Again', picture: file }, onUploaded);
    expect(uploadAvatar).toHaveBeenCalledWith(client.auth, file);
    expect(onUploaded).toHaveBeenCalledWith(uploaded);
    expect(updateMe).toHaveBeenCalledTimes(1);
    expect(updateMe).toHaveBeenCalledWith({ displayName: 'Me Again', avatarUploadId: uploaded.id });
    const saved = { ...mine, displayName: 'Me Again', avatar: { uploadId: uploaded.id } };
    // Shown at once, and kept in the stored session for the next reload.
    expect(client.store.get().users[me]).toEqual(saved);
    expect(updateUser).toHaveBeenCalledWith(saved);
  });

  it('removes the picture without uploading, and sends nothing when nothing changed', async () => {
    const { client, updateMe } = setup();
    await client.saveProfile({ picture: null });
    expect(updateMe).toHaveBeenCalledWith({ avatarUploadId: null });
    expect(uploadAvatar).not.toHaveBeenCalled();
    updateMe.mockClear();
    await client.saveProfile({});
    expect(updateMe).not.toHaveBeenCalled();
  });

  it('takes a change made on another device from user:updated, into the session too', async () => {
    const { client, updateUser } = setup();
    client.start();
    const changed = { ...mine, avatar: { uploadId: uploaded.id } };
    socket.fire('user:updated', { user: changed });
    expect(client.store.get().users[me]).toEqual(changed);
    expect(updateUser).toHaveBeenCalledWith(changed);
    client.stop();
  });
});
