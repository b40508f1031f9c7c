import { describeHotQueries, type HotQuery } from '@palaver/testing';
import { Types } from 'mongoose';
import { createUploadStore } from '../src/store/upload-store.ts';

/** Every query on the download, access, relay and sweep paths walks an index on real MongoDB. */
const id = new Types.ObjectId();

describeHotQueries(
  'upload-service',
  (connection) =>
    Promise.all(
      (createUploadStore(connection).models as Array<{ init: () => Promise<unknown> }>).map((model) =>
        model.init(),
      ),
    ),
  (): HotQuery[] => [
    { collection: 'uploads', filter: { _id: id } },
    { collection: 'uploads', filter: { eventPending: true }, limit: 100 },
    { collection: 'uploads', filter: { sha256: 'f'.repeat(64) } },
    { collection: 'uploads', filter: { 'thumbnail.sha256': 'f'.repeat(64) } },
    { collection: 'upload_attachments', filter: { uploadId: id } },
    { collection: 'upload_attachments', filter: { messageId: id } },
    { collection: 'upload_members', filter: { userId: id } },
    { collection: 'upload_members', filter: { _id: `${id}:${id}:1` } },
    { collection: 'upload_departures', filter: { _id: `${id}:${id}:1` } },
    {
      collection: 'upload_unsent',
      filter: { createdAt: { $lt: new Date() } },
      sort: { createdAt: 1 },
      limit: 100,
    },
  ],
);
