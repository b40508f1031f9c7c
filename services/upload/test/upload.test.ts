import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { recordEvents, startedForFile } from '@palaver/testing';
import { Types } from 'mongoose';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { filesUnder, makeUser, multipart, startUpload } from './upload-harness.ts';

const service = startedForFile(() =>
  startUpload('upload', { env: { UPLOAD_MAX_FILE_SIZE: String(256 * 1024), UPLOAD_MAX_FILES: '3' } }),
);
const events = startedForFile(() => recordEvents(service.env.amqpUrl, service.env.exchange, 'upload.#'));
const ada = await makeUser();

const png = () =>
  sharp({ create: { width: 40, height: 30, channels: 3, background: '#3366cc' } })
    .png()
    .toBuffer();
const elf = Buffer.concat([Buffer.from('7f454c4602010100', 'hex'), Buffer.alloc(200, 1)]);
const pe = (() => {
  const bytes = Buffer.alloc(512);
  bytes.write('MZ', 0, 'latin1');
  bytes.writeUInt32LE(0x80, 0x3c);
  bytes.write('PE\0\0', 0x80, 'latin1');
  return bytes;
})();
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const blobFiles = async () => filesUnder(join(service.root, 'blobs'));

describe('POST /uploads', () => {
  it('stores several files in one request and answers 201 with one entry each', async () => {
    const text = Buffer.from('hello, palaver\n');
    const response = await service.upload(ada, [
      { name: 'picture.png', content: await png(), type: 'image/png' },
      { name: 'notes.txt', content: text, type: 'text/plain' },
    ]);
    expect(response.statusCode).toBe(201);
    const [image, notes] = response.json().uploads;
    expect(image).toMatchObject({ name: 'picture.png', mime: 'image/png', width: 40, height: 30 });
    expect(image?.thumbnailUrl).toMatch(
      /^\/uploads\/[0-9a-f]{24}\/thumbnail\?reader=[0-9a-f]{24}&expires=\d+&sig=[\w-]+$/,
    );
    expect(notes).toMatchObject({
      name: 'notes.txt',
      mime: 'application/octet-stream',
      size: text.length,
      sha256: sha256(text),
    });
    expect(notes?.width).toBeUndefined();
    expect(notes?.thumbnailUrl).toBeUndefined();
    expect(notes?.url).toMatch(/^\/uploads\/[0-9a-f]{24}\?reader=[0-9a-f]{24}&expires=\d+&sig=[\w-]+$/);

    const event = await events.waitFor(
      (e) =>
        e.type === 'upload.created' &&
        (e.data as { upload: { uploadId: string } }).upload.uploadId === image?.id,
    );
    expect(event.id).toBe(`upload.created:${image?.id}`);
    expect(event.data).toEqual({
      upload: {
        uploadId: image?.id,
        uploaderId: ada.id,
        name: 'picture.png',
        mime: 'image/png',
        size: image?.size,
        width: 40,
        height: 30,
      },
    });
    // The pending mark is cleared once the broker confirmed.
    await expect
      .poll(
        async () => (await service.mongo.collection('uploads').findOne({ name: 'notes.txt' }))?.eventPending,
      )
      .toBe(false);
  });

  it('answers 401 without a token, storing nothing', async () => {
    const before = await blobFiles();
    const response = await service.upload(undefined, [{ name: 'a.txt', content: Buffer.from('anonymous') }]);
    expect(response.statusCode).toBe(401);
    expect(response.json().error?.code).toBe('unauthorized');
    expect(await blobFiles()).toEqual(before);
  });

  it('answers 415 to a body that is not multipart, and 400 to one without files', async () => {
    const json = await service.app.inject({
      method: 'POST',
      url: '/uploads',
      headers: ada.headers,
      payload: { file: 'no' },
    });
    expect(json.statusCode).toBe(415);
    expect(json.json().error.code).toBe('unsupported_media_type');
    const empty = await service.upload(ada, []);
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error?.code).toBe('no_files');
  });

  it('refuses a file over the limit with 413 and leaves no file behind, temp files included', async () => {
    const before = await filesUnder(service.root);
    const response = await service.upload(ada, [
      { name: 'ok.txt', content: Buffer.from('kept only if the whole request succeeds') },
      { name: 'big.bin', content: Buffer.alloc(256 * 1024 + 1, 7) },
    ]);
    expect(response.statusCode).toBe(413);
    expect(response.json().error?.code).toBe('file_too_large');
    expect(await filesUnder(service.root)).toEqual(before);
    expect(await service.mongo.collection('uploads').countDocuments({ name: 'ok.txt' })).toBe(0);

    const exact = await service.upload(ada, [{ name: 'exact.bin', content: Buffer.alloc(256 * 1024, 9) }]);
    expect(exact.statusCode).toBe(201);
  });

  it('keeps each user within UPLOAD_QUOTA: 413 quota_exceeded, nothing of the request kept, others unaffected', async () => {
    const small = await startUpload('quota', { env: { UPLOAD_QUOTA: '3000' } });
    try {
      const [user, other] = await Promise.all([makeUser(), makeUser()]);
      const bytes = (n: number, fill: number) => Buffer.alloc(n, fill);
      expect((await small.upload(user, [{ name: 'a.bin', content: bytes(1000, 1) }])).statusCode).toBe(201);
      // The second file of this request passes the quota: the first one goes too.
      const over = await small.upload(user, [
        { name: 'b.bin', content: bytes(1000, 2) },
        { name: 'c.bin', content: bytes(1500, 3) },
      ]);
      expect(over.statusCode).toBe(413);
      expect(over.json().error).toMatchObject({ code: 'quota_exceeded', details: { quotaBytes: 3000 } });
      expect(
        await small.mongo.collection('uploads').countDocuments({ name: { $in: ['b.bin', 'c.bin'] } }),
      ).toBe(0);
      // Concurrent requests cannot pass it together.
      const racing = await Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          small.upload(user, [{ name: `r${i}.bin`, content: bytes(900, 10 + i) }]),
        ),
      );
      expect(racing.filter((r) => r.statusCode === 201).length).toBeLessThanOrEqual(2);
      const sizes = await small.mongo
        .collection('uploads')
        .find({ uploaderId: new Types.ObjectId(user.id) })
        .toArray();
      expect(sizes.reduce((total, upload) => total + (upload.size as number), 0)).toBeLessThanOrEqual(3000);
      expect((await small.upload(other, [{ name: 'd.bin', content: bytes(2500, 4) }])).statusCode).toBe(201);
      // Once full, a request is refused before its body is read.
      expect((await small.upload(other, [{ name: 'e.bin', content: bytes(600, 5) }])).statusCode).toBe(413);
    } finally {
      await small.close();
    }
  });

  it('never lets racing uploads of one user pass UPLOAD_QUOTA, round after round, and keeps exactly what it accepted', async () => {
    const small = await startUpload('quota-race', { env: { UPLOAD_QUOTA: '3000' } });
    try {
      for (let round = 0; round < 10; round++) {
        const user = await makeUser();
        const answers = await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            small.upload(user, [{ name: `r${round}-${i}.bin`, content: Buffer.alloc(900, round * 8 + i) }]),
          ),
        );
        const accepted = answers.filter((a) => a.statusCode === 201);
        expect(accepted.length + answers.filter((a) => a.statusCode === 413).length, `round ${round}`).toBe(
          6,
        );
        const stored = await small.mongo
          .collection('uploads')
          .find({ uploaderId: new Types.ObjectId(user.id) })
          .toArray();
        expect(stored.length, `round ${round}`).toBe(accepted.length);
        expect(stored.length * 900, `round ${round}`).toBeLessThanOrEqual(3000);
      }
    } finally {
      await small.close();
    }
  });

  it('limits upload requests per user: 429 with Retry-After past UPLOAD_RATE_LIMIT', async () => {
    const narrow = await startUpload('rate', { env: { UPLOAD_RATE_LIMIT: '3', UPLOAD_RATE_WINDOW: '1m' } });
    try {
      const [user, other] = await Promise.all([makeUser(), makeUser()]);
      const answers = [];
      for (let i = 0; i < 5; i++) {
        answers.push(await narrow.upload(user, [{ name: `${i}.txt`, content: Buffer.from(`n${i}`) }]));
      }
      expect(answers.map((a) => a.statusCode)).toEqual([201, 201, 201, 429, 429]);
      const limited = answers[3] as (typeof answers)[0];
      expect(limited.json().error?.code).toBe('rate_limited');
      expect(
        Number((limited as unknown as { headers: Record<string, string> }).headers['retry-after']),
      ).toBeGreaterThan(0);
      expect((await narrow.upload(other, [{ name: 'x.txt', content: Buffer.from('x') }])).statusCode).toBe(
        201,
      );
    } finally {
      await narrow.close();
    }
  });

  it('refuses more files than allowed with 413', async () => {
    const files = Array.from({ length: 4 }, (_, i) => ({
      name: `${i}.txt`,
      content: Buffer.from(`file ${i}`),
    }));
    const response = await service.upload(ada, files);
    expect(response.statusCode).toBe(413);
    expect(response.json().error?.code).toBe('too_many_files');
  });

  it('detects types from content: executables named .png are refused', async () => {
    for (const content of [elf, pe]) {
      const response = await service.upload(ada, [{ name: 'cute-cat.png', content, type: 'image/png' }]);
      expect(response.statusCode).toBe(415);
      expect(response.json().error?.code).toBe('unsupported_type');
    }
    expect((await filesUnder(join(service.root, 'tmp'))).length).toBe(0);
  });

  it('stores unrecognisable bytes named .png as a download, never as an image', async () => {
    const response = await service.upload(ada, [
      { name: 'fake.png', content: Buffer.from('<svg onload=alert(1)>'), type: 'image/png' },
    ]);
    expect(response.statusCode).toBe(201);
    const [upload] = response.json().uploads;
    expect(upload?.mime).toBe('application/octet-stream');
    const download = await service.get(`/uploads/${upload?.id}`, ada);
    expect(download.headers['content-type']).toBe('application/octet-stream');
    expect(download.headers['content-disposition']).toMatch(/^attachment;/);
    expect(download.headers['x-content-type-options']).toBe('nosniff');
  });

  it('sanitises hostile file names', async () => {
    const long = `${'a'.repeat(1000)}.txt`;
    const response = await service.upload(ada, [
      { name: '../../etc/passwd', content: Buffer.from('1') },
      { name: 'invoice\u202Egnp.exe', content: Buffer.from('2') },
      { name: `bell\u0007tab\ttext.txt`, content: Buffer.from('3') },
    ]);
    expect(response.statusCode).toBe(201);
    expect(response.json().uploads.map((u) => u.name)).toEqual([
      'passwd',
      'invoicegnp.exe',
      'belltabtext.txt',
    ]);
    const longResponse = await service.upload(ada, [{ name: long, content: Buffer.from('4') }]);
    const [upload] = longResponse.json().uploads;
    expect(upload?.name.length).toBe(200);
    expect(upload?.name.endsWith('.txt')).toBe(true);
    // Nothing outside the store was touched: every file is a blob named by its hash.
    for (const file of await filesUnder(service.root)) {
      expect(file.startsWith(join(service.root, 'blobs'))).toBe(true);
      expect(file).toMatch(/[0-9a-f]{64}$/);
    }
  });

  it('stores identical content once, even when uploaded concurrently', async () => {
    const content = Buffer.from(`same bytes ${Date.now()} `.repeat(2000));
    const before = (await blobFiles()).length;
    const users = await Promise.all([makeUser(), makeUser(), makeUser(), makeUser()]);
    const responses = await Promise.all(
      users.map((user) => service.upload(user, [{ name: 'same.txt', content }])),
    );
    expect(responses.map((r) => r.statusCode)).toEqual([201, 201, 201, 201]);
    const ids = new Set(responses.map((r) => r.json().uploads[0]?.id));
    expect(ids.size).toBe(4);
    expect(new Set(responses.map((r) => r.json().uploads[0]?.sha256))).toEqual(new Set([sha256(content)]));
    expect((await blobFiles()).length).toBe(before + 1);
    expect((await filesUnder(join(service.root, 'tmp'))).length).toBe(0);
  });

  it('counts received bytes in /metrics', async () => {
    const metrics = await service.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/upload_bytes_received_total\{service="upload"\} [1-9]/);
  });

  it('serves its OpenAPI document', async () => {
    const docs = await service.app.inject({ method: 'GET', url: '/uploads/docs/json' });
    expect(docs.statusCode).toBe(200);
    expect(Object.keys(docs.json().paths)).toEqual(
      expect.arrayContaining(['/uploads', '/uploads/{id}', '/uploads/{id}/thumbnail', '/uploads/{id}/meta']),
    );
  });

  it('reports the store in /readyz', async () => {
    const ready = await service.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.json()).toMatchObject({
      status: 'ready',
      checks: { mongo: 'ok', broker: 'ok', store: 'ok' },
    });
  });

  it('keeps a malformed multipart body a 400', async () => {
    const body = multipart([{ name: 'x.txt', content: Buffer.from('x') }]);
    const response = await service.app.inject({
      method: 'POST',
      url: '/uploads',
      headers: { ...ada.headers, 'content-type': body.contentType },
      payload: body.payload.subarray(0, body.payload.length - 20),
    });
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json().error.code).toBe('invalid_request');
  });
});
