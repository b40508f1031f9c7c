import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AuthResult, PublicUser, Upload } from '@palaver/contracts';
import {
  backendVariables,
  type EventRecorder,
  freePort,
  recordEvents,
  type SpawnedService,
  spawnServiceProcess,
  waitUntilReady,
} from '@palaver/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthHarness, bearer, register, startAuth } from './auth-harness.ts';

// Avatars through the real upload service (its own process, verifying auth's tokens with
// auth's JWKS): auth asks it, with the caller's token, whether an upload is the caller's
// avatar image, and refuses anything else with the one error shape.

const uploadEntry = fileURLToPath(new URL('../../upload/src/server.ts', import.meta.url));

let auth: AuthHarness;
let upload: SpawnedService;
let uploadUrl: string;
let uploadRoot: string;
let events: EventRecorder;

beforeAll(async () => {
  const port = await freePort();
  uploadUrl = `http://127.0.0.1:${port}`;
  auth = await startAuth('avatars', { env: { UPLOAD_URL: uploadUrl } });
  await auth.app.listen({ port: 0, host: '127.0.0.1' });
  const authPort = (auth.app.server.address() as AddressInfo).port;
  uploadRoot = await mkdtemp(join(tmpdir(), 'palaver-avatars-'));
  upload = spawnServiceProcess(uploadEntry, {
    ...backendVariables(auth.env, 'upload'),
    PORT: String(port),
    LOG_LEVEL: 'warn',
    JWKS_URL: `http://127.0.0.1:${authPort}/auth/.well-known/jwks.json`,
    UPLOAD_ROOT: uploadRoot,
    UPLOAD_URL_SECRET: 'a'.repeat(48),
    UPLOAD_PUBLIC_PREFIX: '', // links straight to the process, not through the edge
  });
  await waitUntilReady(uploadUrl, upload.child);
  events = await recordEvents(auth.env.amqpUrl, auth.env.exchange, 'user.*');
}, 60_000);

afterAll(async () => {
  await events?.close();
  upload?.child.kill('SIGTERM');
  await upload?.exited;
  await auth?.close();
  if (uploadRoot) await rm(uploadRoot, { recursive: true, force: true });
});

/** A 2×2 PNG, small enough to spell out (auth has no image library). */
const png = async () =>
  Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAAEklEQVR4nGNQSlullLaKAUIBAB9mBMknFmgTAAAAAElFTkSuQmCC',
    'base64',
  );

async function post(account: AuthResult, path: string, content: Buffer, name: string): Promise<Response> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(content)]), name);
  return fetch(`${uploadUrl}${path}`, { method: 'POST', headers: bearer(account.accessToken), body: form });
}

async function uploadAvatar(account: AuthResult): Promise<Upload> {
  const response = await post(account, '/uploads/avatar', await png(), 'me.png');
  expect(response.status).toBe(201);
  return (await response.json()) as Upload;
}

async function uploadAttachment(account: AuthResult, content: Buffer, name: string): Promise<Upload> {
  const response = await post(account, '/uploads', content, name);
  expect(response.status).toBe(201);
  return ((await response.json()) as { uploads: Upload[] }).uploads[0] as Upload;
}

const patchMe = (account: AuthResult, payload: object) =>
  auth.app.inject({ method: 'PATCH', url: '/auth/me', headers: bearer(account.accessToken), payload });

const profileOf = async (account: AuthResult, viewer = account) =>
  (
    await auth.app.inject({
      method: 'GET',
      url: `/users/${account.user.id}`,
      headers: bearer(viewer.accessToken),
    })
  ).json() as PublicUser;

const announcedFor = (userId: string, uploadId: string | null) =>
  events.waitFor((event) => {
    const { user } = event.data as { user: PublicUser };
    return (
      event.type === 'user.updated' && user.id === userId && (user.avatar?.uploadId ?? null) === uploadId
    );
  });

describe('PATCH /auth/me {avatarUploadId}', () => {
  it('sets an avatar: shown on the profile to others, announced, and readable by a stranger', async () => {
    const [ada, stranger] = [await register(auth), await register(auth)];
    expect(ada.user.avatar).toBeNull();
    const avatar = await uploadAvatar(ada);
    const response = await patchMe(ada, { avatarUploadId: avatar.id });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ ...ada.user, avatar: { uploadId: avatar.id } });
    expect(await profileOf(ada, stranger)).toEqual(response.json());
    const announced = await announcedFor(ada.user.id, avatar.id);
    expect(announced.data).toEqual({ user: response.json() });

    // The stranger shares no conversation with Ada and still sees the picture.
    const meta = await fetch(`${uploadUrl}/uploads/${avatar.id}/meta`, {
      headers: bearer(stranger.accessToken),
    });
    expect(meta.status).toBe(200);
    const { thumbnailUrl } = (await meta.json()) as Upload;
    const thumbnail = await fetch(`${uploadUrl}${thumbnailUrl}`);
    expect(thumbnail.status).toBe(200);
    expect(thumbnail.headers.get('content-type')).toBe('image/webp');
  });

  it('renames and sets the avatar in one change, and removes the avatar with null', async () => {
    const ada = await register(auth);
    const avatar = await uploadAvatar(ada);
    const both = await patchMe(ada, { displayName: ' Ada Pictured ', avatarUploadId: avatar.id });
    expect(both.json()).toMatchObject({ displayName: 'Ada Pictured', avatar: { uploadId: avatar.id } });
    // A rename alone keeps the avatar.
    expect((await patchMe(ada, { displayName: 'Ada P.' })).json().avatar).toEqual({ uploadId: avatar.id });

    const removed = await patchMe(ada, { avatarUploadId: null });
    expect(removed.statusCode).toBe(200);
    expect(removed.json()).toMatchObject({ displayName: 'Ada P.', avatar: null });
    expect((await announcedFor(ada.user.id, null)).data).toEqual({ user: removed.json() });
  });

  it('refuses an unknown id, someone else’s upload, and an attachment, changing nothing', async () => {
    const [ada, bob] = [await register(auth), await register(auth)];
    const bobsAvatar = await uploadAvatar(bob);
    const bobsFile = await uploadAttachment(bob, await png(), 'holiday.png');
    const adasPicture = await uploadAttachment(ada, await png(), 'holiday.png');
    const adasNotes = await uploadAttachment(ada, Buffer.from('notes\n'), 'notes.txt');
    const cases: Array<[string, string]> = [
      ['0123456789abcdef01234567', 'avatar_not_found'],
      [bobsFile.id, 'avatar_not_found'], // not hers to see: it does not exist for her
      [bobsAvatar.id, 'avatar_not_yours'],
      [adasPicture.id, 'not_an_avatar'], // an image, but members-only
      [adasNotes.id, 'not_an_avatar'],
    ];
    for (const [uploadId, code] of cases) {
      const response = await patchMe(ada, { displayName: 'Should Not Stick', avatarUploadId: uploadId });
      expect(response.statusCode, code).toBe(400);
      expect(response.json()).toEqual({
        error: { code, message: expect.any(String), details: expect.objectContaining({ uploadId }) },
      });
    }
    expect(await profileOf(ada)).toEqual(ada.user);
  });

  it.each([
    [{ avatarUploadId: 'not-an-id' }],
    [{ avatarUploadId: 7 }],
    [{ avatarUploadId: { uploadId: '0123456789abcdef01234567' } }],
    [{ avatar: null }],
    [{}],
  ])('rejects %j with 400 invalid_request', async (payload) => {
    const ada = await register(auth);
    const response = await patchMe(ada, payload);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('invalid_request');
    expect(await profileOf(ada)).toEqual(ada.user);
  });

  it('answers 503 when the upload service cannot be asked, and keeps the profile', async () => {
    const offline = await startAuth('avatars', { sameAs: auth, env: { UPLOAD_URL: 'http://127.0.0.1:1' } });
    const disabled = await startAuth('avatars', { sameAs: auth, env: { UPLOAD_URL: '' } });
    try {
      const ada = await register(auth);
      const avatar = await uploadAvatar(ada);
      for (const replica of [offline, disabled]) {
        const response = await replica.app.inject({
          method: 'PATCH',
          url: '/auth/me',
          headers: bearer(ada.accessToken),
          payload: { avatarUploadId: avatar.id },
        });
        expect(response.statusCode).toBe(503);
        expect(response.json().error.code).toBe('unavailable');
      }
      expect(await profileOf(ada)).toEqual(ada.user);
    } finally {
      await Promise.all([offline.close(), disabled.close()]);
    }
  });
});
