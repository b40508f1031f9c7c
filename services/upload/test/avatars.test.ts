import { maxAvatarBytes, type Upload } from '@palaver/contracts';
import { startedForFile } from '@palaver/testing';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { type FilePart, makeUsers, multipart, startUpload, type TestUser } from './upload-harness.ts';

// Avatars: images only, one per request, a square thumbnail, readable by anyone signed in
// (no conversation needed), and never swept as orphans (no message ever names them).

const service = startedForFile(() => startUpload('avatars'));
const [ada, stranger] = await makeUsers(2);

const image = (width: number, height: number, format: 'png' | 'jpeg' | 'webp' | 'gif' = 'png') =>
  sharp({ create: { width, height, channels: 3, background: '#cc6633' } })
    .toFormat(format)
    .toBuffer();

function postAvatar(user: TestUser | undefined, files: FilePart[]) {
  const body = multipart(files);
  return service.app.inject({
    method: 'POST',
    url: '/uploads/avatar',
    headers: { ...user?.headers, 'content-type': body.contentType },
    payload: body.payload,
  });
}

async function uploadAvatar(user: TestUser, content: Buffer): Promise<Upload> {
  const response = await postAvatar(user, [{ name: 'me.png', content }]);
  expect(response.statusCode, response.body).toBe(201);
  return response.json() as Upload;
}

describe('POST /uploads/avatar', () => {
  it('stores one image as an avatar with a square WebP thumbnail', async () => {
    const avatar = await uploadAvatar(ada, await image(600, 300));
    expect(avatar).toMatchObject({ uploaderId: ada.id, purpose: 'avatar', mime: 'image/png', width: 600 });
    expect(avatar.thumbnailUrl).toMatch(/^\/uploads\/[0-9a-f]{24}\/thumbnail\?reader=/);
    const thumbnail = await service.get(avatar.thumbnailUrl as string);
    expect(thumbnail.statusCode).toBe(200);
    expect(thumbnail.headers['content-type']).toBe('image/webp');
    const meta = await sharp(thumbnail.rawPayload).metadata();
    expect([meta.width, meta.height]).toEqual([256, 256]);
  });

  it('takes JPEG, WebP and GIF as well, and enlarges a small one to the same square', async () => {
    for (const format of ['jpeg', 'webp', 'gif'] as const) {
      const avatar = await uploadAvatar(ada, await image(40, 30, format));
      expect(avatar.mime).toBe(`image/${format}`);
      const thumbnail = await service.get(avatar.thumbnailUrl as string);
      const meta = await sharp(thumbnail.rawPayload).metadata();
      expect([meta.width, meta.height]).toEqual([256, 256]);
    }
  });

  it('is readable by any signed-in user, with a token or through their own signed link', async () => {
    const avatar = await uploadAvatar(ada, await image(64, 64));
    const meta = await service.get(`/uploads/${avatar.id}/meta`, stranger);
    expect(meta.statusCode).toBe(200);
    const seen = meta.json() as Upload;
    expect(seen).toMatchObject({ id: avatar.id, uploaderId: ada.id, purpose: 'avatar' });
    expect(seen.thumbnailUrl).toContain(`reader=${stranger.id}`);
    expect((await service.get(seen.thumbnailUrl as string)).statusCode).toBe(200);
    expect((await service.get(`/uploads/${avatar.id}`, stranger)).statusCode).toBe(200);
    // Not without signing in.
    expect((await service.get(`/uploads/${avatar.id}/meta`)).statusCode).toBe(401);
  });

  it('leaves attachments as they were: a non-member is told they do not exist', async () => {
    const response = await service.upload(ada, [{ name: 'private.png', content: await image(20, 20) }]);
    const [attachment] = response.json().uploads;
    expect(attachment?.purpose).toBe('attachment');
    const meta = await service.get(`/uploads/${attachment?.id}/meta`, stranger);
    expect(meta.statusCode).toBe(404);
  });

  it('refuses what is not a PNG, JPEG, WebP or GIF image, with the one error shape', async () => {
    const pdf = Buffer.from('%PDF-1.4\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n', 'latin1');
    for (const content of [pdf, Buffer.from('just some text\n')]) {
      const response = await postAvatar(ada, [{ name: 'me.png', content, type: 'image/png' }]);
      expect(response.statusCode).toBe(415);
      expect(response.json()).toEqual({
        error: {
          code: 'unsupported_type',
          message: expect.any(String),
          details: { mime: expect.any(String) },
        },
      });
    }
    // Claims to be a PNG and is not one underneath.
    const broken = Buffer.concat([(await image(10, 10)).subarray(0, 40), Buffer.alloc(100)]);
    expect((await postAvatar(ada, [{ name: 'me.png', content: broken }])).statusCode).toBe(415);
  });

  it('refuses two files, none, a too large image, a body that is not multipart, and no token', async () => {
    const one = { name: 'a.png', content: await image(10, 10) };
    const two = await postAvatar(ada, [one, one]);
    expect(two.statusCode).toBe(413);
    expect(two.json().error.code).toBe('too_many_files');
    expect((await postAvatar(ada, [])).json().error.code).toBe('no_files');

    const huge = Buffer.concat([await image(10, 10), Buffer.alloc(maxAvatarBytes)]);
    const tooLarge = await postAvatar(ada, [{ name: 'big.png', content: huge }]);
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.json().error).toMatchObject({
      code: 'file_too_large',
      details: { maxBytes: maxAvatarBytes },
    });

    const json = await service.app.inject({
      method: 'POST',
      url: '/uploads/avatar',
      headers: { ...ada.headers, 'content-type': 'application/json' },
      payload: '{}',
    });
    expect(json.statusCode).toBe(415);
    expect(json.json().error.code).toBe('unsupported_media_type');
    expect((await postAvatar(undefined, [one])).statusCode).toBe(401);
  });

  it('is not swept as an orphan, though no message ever names it', async () => {
    const avatar = await uploadAvatar(ada, await image(32, 32));
    await service.sweeper.sweep(new Date(Date.now() + 30 * 86_400_000));
    expect((await service.get(`/uploads/${avatar.id}/meta`, stranger)).statusCode).toBe(200);
  });
});
