import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMessageStore } from '../src/store/message-store.ts';
import { type MessageHarness, startMessage } from './message-harness.ts';

let service: MessageHarness;
beforeAll(async () => {
  service = await startMessage('known-uploads');
});
afterAll(async () => {
  await service.close();
});

describe('known uploads', () => {
  it('are remembered once however many writers race (an event and sends asking the upload service), round after round', async () => {
    const store = createMessageStore(service.mongo);
    for (let round = 0; round < 10; round++) {
      const upload = {
        _id: new Types.ObjectId(),
        uploaderId: new Types.ObjectId(),
        name: `round-${round}.txt`,
        mime: 'text/plain',
        size: round + 1,
      };
      const writes = await Promise.allSettled(Array.from({ length: 8 }, () => store.rememberUpload(upload)));
      expect(
        writes.filter((w) => w.status === 'rejected'),
        `round ${round}`,
      ).toEqual([]);
      const stored = await service.mongo.collection('known_uploads').find({ _id: upload._id }).toArray();
      expect(stored, `round ${round}`).toMatchObject([{ name: upload.name, size: upload.size }]);
    }
  });
});
