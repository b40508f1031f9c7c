import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Upload } from '@palaver/contracts';
import { startedForFile } from '@palaver/testing';
import { Types } from 'mongoose';
import { describe, expect, it } from 'vitest';
import { filesUnder, makeUser, messageCreated, startUpload } from './upload-harness.ts';

const service = startedForFile(() => startUpload('orphans', { env: { ORPHAN_TTL: '24h' } }));
const ada = await makeUser();

const uploadText = async (text: string) =>
  (await service.upload(ada, [{ name: 'f.txt', content: Buffer.from(text) }])).json().uploads[0] as Upload;
const exists = async (upload: Upload) =>
  (await service.get(`/uploads/${upload.id}/meta`, ada)).statusCode === 200;
const blobExists = async (upload: Upload) =>
  (await filesUnder(join(service.root, 'blobs'))).some((file) => file.endsWith(upload.sha256));
const hoursFromNow = (hours: number) => new Date(Date.now() + hours * 3600_000);

describe('orphan sweeper', () => {
  it('deletes uploads never sent after ORPHAN_TTL, keeping sent ones and shared blobs', async () => {
    const orphan = await uploadText('nobody sent me');
    const sent = await uploadText('I was sent');
    const twinA = await uploadText('twin content');
    const twinB = await uploadText('twin content');
    expect(twinA.sha256).toBe(twinB.sha256);

    const event = messageCreated({
      conversationId: new Types.ObjectId().toHexString(),
      senderId: ada.id,
      memberIds: [ada.id],
      uploads: [sent, twinB],
    });
    await service.publish('message.created', event, `message.created:${event.message.id}`);
    await expect
      .poll(async () => await service.mongo.collection('upload_attachments').countDocuments())
      .toBe(2);

    // Before the TTL nothing goes.
    expect((await service.sweeper.sweep(hoursFromNow(23))).uploads).toBe(0);
    expect(await exists(orphan)).toBe(true);

    const result = await service.sweeper.sweep(hoursFromNow(25));
    expect(result.uploads).toBe(2);
    expect(await exists(orphan)).toBe(false);
    expect(await blobExists(orphan)).toBe(false);
    expect(await exists(twinA)).toBe(false);
    // twinA's bytes are twinB's too, and twinB was sent: the blob stays.
    expect(await blobExists(twinB)).toBe(true);
    expect((await service.get(`/uploads/${twinB.id}`, ada)).statusCode).toBe(200);
    expect(await exists(sent)).toBe(true);
    expect(await blobExists(sent)).toBe(true);
  });

  it('removes partial writes left by a crash', async () => {
    const partial = join(service.root, 'tmp', 'left-by-a-crash');
    await writeFile(partial, 'half a file');
    expect((await service.sweeper.sweep(new Date())).partials).toBe(0);
    expect((await service.sweeper.sweep(hoursFromNow(7))).partials).toBe(1);
    expect(await filesUnder(join(service.root, 'tmp'))).toEqual([]);
  });
});
