import { randomBytes } from 'node:crypto';
import type { Upload } from '@palaver/contracts';
import { Types } from 'mongoose';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUrlSigner } from '../src/domain/signed-urls.ts';
import {
  conversationView,
  makeUsers,
  messageCreated,
  startUpload,
  type UploadHarness,
  urlSecret,
} from './upload-harness.ts';

const [ada, bob, eve] = await makeUsers(3);
let service: UploadHarness;
let file: Upload;
let content: Buffer;
beforeAll(async () => {
  service = await startUpload('download');
  content = randomBytes(1000);
  const response = await service.upload(ada, [{ name: 'report 2026 – final.bin', content }]);
  file = response.json().uploads[0] as Upload;
});
afterAll(async () => {
  await service.close();
});

const gpsJpeg = () =>
  sharp({ create: { width: 64, height: 48, channels: 3, background: '#884422' } })
    .jpeg()
    .withExif({
      IFD0: { Make: 'SpyCam', Model: 'Tracker 3000' },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: '51/1 30/1 0/1',
        GPSLongitudeRef: 'W',
        GPSLongitude: '0/1 7/1 0/1',
      },
    })
    .toBuffer();

/** Publishes the deletion of the message `sent` carried, as the message service would. */
const publishDeleted = (sent: ReturnType<typeof messageCreated>, changeSeq: number, eventId: string) =>
  service.publish(
    'message.deleted',
    {
      ...sent,
      message: { ...sent.message, attachments: [], deletedAt: new Date().toISOString() },
      changeSeq,
    },
    eventId,
  );
/** How many messages the upload service counts as carrying `upload`. */
const attachmentsOf = (upload: Upload) =>
  service.mongo.collection('upload_attachments').countDocuments({ uploadId: new Types.ObjectId(upload.id) });

describe('GET /uploads/:id', () => {
  it('streams the file to its uploader with caching and safety headers', async () => {
    const response = await service.get(`/uploads/${file.id}`, ada);
    expect(response.statusCode).toBe(200);
    expect(response.rawPayload.equals(content)).toBe(true);
    expect(response.headers).toMatchObject({
      'content-type': 'application/octet-stream',
      'content-length': '1000',
      etag: `"${file.sha256}"`,
      'x-content-type-options': 'nosniff',
      'accept-ranges': 'bytes',
    });
    expect(response.headers['cache-control']).toMatch(/^private/);
    expect(response.headers['content-disposition']).toBe(
      `attachment; filename="report 2026 _ final.bin"; filename*=UTF-8''report%202026%20%E2%80%93%20final.bin`,
    );
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const response = await service.get(`/uploads/${file.id}`, ada, { 'if-none-match': `"${file.sha256}"` });
    expect(response.statusCode).toBe(304);
    expect(response.rawPayload.length).toBe(0);
  });

  it('serves byte ranges: 206, suffix ranges, 416 past the end', async () => {
    const first = await service.get(`/uploads/${file.id}`, ada, { range: 'bytes=0-99' });
    expect(first.statusCode).toBe(206);
    expect(first.headers['content-range']).toBe('bytes 0-99/1000');
    expect(first.headers['content-length']).toBe('100');
    expect(first.rawPayload.equals(content.subarray(0, 100))).toBe(true);

    const middle = await service.get(`/uploads/${file.id}`, ada, { range: 'bytes=500-' });
    expect(middle.rawPayload.equals(content.subarray(500))).toBe(true);

    const suffix = await service.get(`/uploads/${file.id}`, ada, { range: 'bytes=-10' });
    expect(suffix.statusCode).toBe(206);
    expect(suffix.headers['content-range']).toBe('bytes 990-999/1000');
    expect(suffix.rawPayload.equals(content.subarray(990))).toBe(true);

    const beyond = await service.get(`/uploads/${file.id}`, ada, { range: 'bytes=1000-' });
    expect(beyond.statusCode).toBe(416);
    expect(beyond.headers['content-range']).toBe('bytes */1000');
    expect(beyond.json().error.code).toBe('range_not_satisfiable');

    const staleIfRange = await service.get(`/uploads/${file.id}`, ada, {
      range: 'bytes=0-9',
      'if-range': '"other"',
    });
    expect(staleIfRange.statusCode).toBe(200);
  });

  it('answers 401 without a token and 404 to anyone else, as for ids that do not exist', async () => {
    expect((await service.get(`/uploads/${file.id}`)).statusCode).toBe(401);
    const other = await service.get(`/uploads/${file.id}`, eve);
    expect(other.statusCode).toBe(404);
    expect(other.json().error.code).toBe('not_found');
    expect((await service.get(`/uploads/${file.id}/meta`, eve)).statusCode).toBe(404);
    const missing = await service.get(`/uploads/${new Types.ObjectId().toHexString()}`, ada);
    expect(missing.statusCode).toBe(404);
    expect((await service.get('/uploads/not-an-id', ada)).statusCode).toBe(400);
  });

  it('lets conversation members read an upload once a message names it, and follows membership', async () => {
    const upload = (
      await service.upload(ada, [{ name: 'shared.txt', content: Buffer.from('for bob') }])
    ).json().uploads[0] as Upload;
    expect((await service.get(`/uploads/${upload.id}`, bob)).statusCode).toBe(404);

    const conversationId = new Types.ObjectId().toHexString();
    const joinedAt = new Date();
    const bobJoined = new Date(joinedAt.getTime() + 1);
    const conversation = conversationView(conversationId, [
      { userId: ada.id, joinedAt },
      { userId: bob.id, joinedAt: bobJoined },
    ]);
    await service.publish('conversation.created', { conversation, memberIds: [ada.id, bob.id] }, 'created-1');
    const event = messageCreated({
      conversationId,
      senderId: ada.id,
      memberIds: [ada.id, bob.id],
      uploads: [upload],
    });
    await service.publish('message.created', event, `message.created:${event.message.id}`);
    await expect.poll(async () => (await service.get(`/uploads/${upload.id}`, bob)).statusCode).toBe(200);
    expect((await service.get(`/uploads/${upload.id}/meta`, bob)).json()).toMatchObject({ id: upload.id });
    expect((await service.get(`/uploads/${upload.id}`, eve)).statusCode).toBe(404);

    // Bob leaves: that membership ends, and he loses access.
    const removed = {
      conversation,
      userId: bob.id,
      joinedAt: bobJoined.toISOString(),
      by: ada.id,
      memberIds: [ada.id],
    };
    const bobsLink = (await service.get(`/uploads/${upload.id}/meta`, bob)).json().url as string;
    expect(new URL(bobsLink, 'http://x').searchParams.get('reader')).toBe(bob.id);
    expect((await service.get(bobsLink)).statusCode).toBe(200);
    await service.publish('conversation.member_removed', removed, 'removed-1');
    await expect.poll(async () => (await service.get(`/uploads/${upload.id}`, bob)).statusCode).toBe(404);
    // The link he was given, still unexpired, stops opening it at the same moment.
    const refused = await service.get(bobsLink);
    expect(refused.statusCode).toBe(404);
    expect(refused.json().error.code).toBe('not_found');

    // A late replay of his addition does not bring him back; a new membership (Eve) counts.
    await service.publish('conversation.created', { conversation, memberIds: [ada.id, bob.id] }, 'created-1');
    const eveJoined = new Date(joinedAt.getTime() + 2000);
    await service.publish(
      'conversation.member_added',
      {
        conversation: conversationView(conversationId, [
          { userId: ada.id, joinedAt },
          { userId: eve.id, joinedAt: eveJoined },
        ]),
        userIds: [eve.id],
        by: ada.id,
        memberIds: [ada.id, eve.id],
      },
      'added-1',
    );
    await expect.poll(async () => (await service.get(`/uploads/${upload.id}`, eve)).statusCode).toBe(200);
    expect((await service.get(`/uploads/${upload.id}`, bob)).statusCode).toBe(404);

    // A removal that arrives before its addition still wins.
    const carolJoined = new Date(joinedAt.getTime() + 3000);
    const withCarol = conversationView(conversationId, [
      { userId: ada.id, joinedAt },
      { userId: bob.id, joinedAt: carolJoined },
    ]);
    await service.publish(
      'conversation.member_removed',
      { ...removed, joinedAt: carolJoined.toISOString() },
      'removed-2',
    );
    await service.publish(
      'conversation.member_added',
      { conversation: withCarol, userIds: [bob.id], by: ada.id, memberIds: [ada.id, bob.id] },
      'added-2',
    );
    await expect.poll(async () => service.mongo.collection('upload_departures').countDocuments()).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 500)); // the addition is handled by then
    expect((await service.get(`/uploads/${upload.id}`, bob)).statusCode).toBe(404);

    // Deleting the message withdraws what it carried from everyone but the uploader.
    await publishDeleted(event, 1, 'deleted-1');
    await expect.poll(async () => (await service.get(`/uploads/${upload.id}`, eve)).statusCode).toBe(404);
    expect((await service.get(`/uploads/${upload.id}`, ada)).statusCode).toBe(200);
  });

  it("keeps access to a deleted message's file for readers of another message carrying it", async () => {
    const upload = (
      await service.upload(ada, [{ name: 'twice.txt', content: Buffer.from('sent twice') }])
    ).json().uploads[0] as Upload;
    const members = (conversationId: string) =>
      conversationView(conversationId, [
        { userId: ada.id, joinedAt: new Date() },
        { userId: bob.id, joinedAt: new Date() },
      ]);
    const sent = [];
    for (const [i, conversationId] of [new Types.ObjectId(), new Types.ObjectId()].entries()) {
      const id = conversationId.toHexString();
      await service.publish(
        'conversation.created',
        { conversation: members(id), memberIds: [ada.id, bob.id] },
        `twice-created-${i}`,
      );
      const event = messageCreated({
        conversationId: id,
        senderId: ada.id,
        memberIds: [ada.id, bob.id],
        uploads: [upload],
      });
      await service.publish('message.created', event, `message.created:${event.message.id}`);
      sent.push(event);
    }
    await expect.poll(() => attachmentsOf(upload)).toBe(2);
    const [first, second] = sent as [(typeof sent)[0], (typeof sent)[0]];
    await publishDeleted(first, 1, 'twice-deleted-1');
    await expect.poll(() => attachmentsOf(upload)).toBe(1);
    expect((await service.get(`/uploads/${upload.id}`, bob)).statusCode).toBe(200);
    await publishDeleted(second, 2, 'twice-deleted-2');
    await expect.poll(async () => (await service.get(`/uploads/${upload.id}`, bob)).statusCode).toBe(404);
  });
});

describe('signed links', () => {
  it('open the file without a bearer token', async () => {
    const response = await service.get(file.url);
    expect(response.statusCode).toBe(200);
    expect(response.rawPayload.equals(content)).toBe(true);
    const minted = await service.app.inject({
      method: 'POST',
      url: `/uploads/${file.id}/signed-url`,
      headers: ada.headers,
    });
    expect(minted.statusCode).toBe(200);
    expect(Date.parse(minted.json().expiresAt) - Date.now()).toBeGreaterThan(290_000);
    expect((await service.get(minted.json().url)).statusCode).toBe(200);
    const forEve = await service.app.inject({
      method: 'POST',
      url: `/uploads/${file.id}/signed-url`,
      headers: eve.headers,
    });
    expect(forEve.statusCode).toBe(404);
  });

  it('are refused with 403 when tampered with, expired, or for another variant or upload', async () => {
    const url = new URL(file.url, 'http://x');
    const sig = url.searchParams.get('sig') as string;
    const expires = Number(url.searchParams.get('expires'));
    const reader = url.searchParams.get('reader') as string;
    expect(reader).toBe(ada.id);
    // One signature bit flipped, always. The first character, not the last: a 32-byte
    // HMAC is 43 base64url characters, and the last one's low 2 bits are padding that
    // decoding drops, so changing it can leave the signature as it was.
    const tampered = `${sig.startsWith('A') ? 'B' : 'A'}${sig.slice(1)}`;
    expect(Buffer.from(tampered, 'base64url').equals(Buffer.from(sig, 'base64url'))).toBe(false);
    const tries = [
      `/uploads/${file.id}?reader=${reader}&expires=${expires}&sig=${tampered}`,
      `/uploads/${file.id}?reader=${reader}&expires=${expires + 60}&sig=${sig}`,
      `/uploads/${file.id}?reader=${eve.id}&expires=${expires}&sig=${sig}`,
      `/uploads/${file.id}/thumbnail?reader=${reader}&expires=${expires}&sig=${sig}`,
      `/uploads/${new Types.ObjectId().toHexString()}?reader=${reader}&expires=${expires}&sig=${sig}`,
      `/uploads/${file.id}?reader=${reader}&sig=${sig}`,
      `/uploads/${file.id}?expires=${expires}&sig=${sig}`,
    ];
    const expired = createUrlSigner({ secret: urlSecret, ttlSeconds: 300 }).sign(
      file.id,
      'original',
      ada.id,
      Date.now() - 3600_000,
    );
    tries.push(`/uploads/${file.id}?reader=${ada.id}&expires=${expired.expires}&sig=${expired.sig}`);
    for (const path of tries) {
      const response = await service.get(path);
      expect(response.statusCode, path).toBe(403);
      expect(response.json().error.code).toBe('invalid_signature');
    }
  });
});

describe('images', () => {
  it('strips EXIF and GPS from what is served, keeps dimensions, and serves a thumbnail inline', async () => {
    const original = await gpsJpeg();
    const before = await sharp(original).metadata();
    expect(before.exif).toBeDefined();

    const response = await service.upload(ada, [{ name: 'holiday.jpg', content: original }]);
    const image = response.json().uploads[0] as Upload;
    expect(image).toMatchObject({ mime: 'image/jpeg', width: 64, height: 48 });

    const served = await service.get(image.url);
    expect(served.statusCode).toBe(200);
    expect(served.headers['content-type']).toBe('image/jpeg');
    expect(served.headers['content-disposition']).toMatch(/^inline;/);
    const after = await sharp(served.rawPayload).metadata();
    expect(after.exif).toBeUndefined();
    expect(served.rawPayload.includes(Buffer.from('SpyCam'))).toBe(false);
    expect(after).toMatchObject({ width: 64, height: 48, format: 'jpeg' });

    const thumbnail = await service.get(image.thumbnailUrl as string);
    expect(thumbnail.statusCode).toBe(200);
    expect(thumbnail.headers['content-type']).toBe('image/webp');
    const thumb = await sharp(thumbnail.rawPayload).metadata();
    expect(thumb.format).toBe('webp');
    expect(thumb.exif).toBeUndefined();

    const metrics = await service.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/upload_bytes_served_total\{variant="thumbnail",service="upload"\} [1-9]/);
  });

  it('has no thumbnail for files that are not images', async () => {
    expect((await service.get(`/uploads/${file.id}/thumbnail`, ada)).statusCode).toBe(404);
  });
});

describe('edge cases', () => {
  it('answers HEAD with the headers only, and mints a link from an empty POST', async () => {
    const head = await service.app.inject({
      method: 'HEAD',
      url: `/uploads/${file.id}`,
      headers: ada.headers,
    });
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-length']).toBe('1000');
    expect(head.rawPayload.length).toBe(0);
    const minted = await service.app.inject({
      method: 'POST',
      url: `/uploads/${file.id}/signed-url?variant=original`,
      headers: ada.headers,
    });
    expect(minted.statusCode, minted.body).toBe(200);
    const thumbnail = await service.app.inject({
      method: 'POST',
      url: `/uploads/${file.id}/signed-url?variant=thumbnail`,
      headers: ada.headers,
    });
    expect(thumbnail.statusCode).toBe(404);
  });

  it('answers 400 to malformed link parameters', async () => {
    const response = await service.get(`/uploads/${file.id}?expires=soon&sig=x`);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('invalid_request');
  });
});
