import { describeHotQueries, type HotQuery } from '@palaver/testing';
import { Types } from 'mongoose';
import { createSessionStore } from '../src/store/session-store.ts';
import { createUserStore } from '../src/store/user-store.ts';

/** Every query on the login, refresh, search and sweep paths walks an index on real MongoDB. */
const now = new Date();

describeHotQueries(
  'auth',
  (connection) =>
    Promise.all([
      createUserStore(connection).model.init(),
      ...createSessionStore(connection).models.map((model) => model.init()),
    ]),
  (): HotQuery[] => [
    { collection: 'users', filter: { _id: new Types.ObjectId() } },
    { collection: 'users', filter: { username: 'ada' } },
    { collection: 'users', filter: { username: { $gt: 'a' } }, sort: { username: 1 }, limit: 20 },
    { collection: 'sessions', filter: { _id: 'sid' } },
    { collection: 'sessions', filter: { revocationPublished: false }, sort: { revokedAt: 1 }, limit: 100 },
    { collection: 'sessions', filter: { expiresAt: { $lt: now }, revocationPublished: true } },
    { collection: 'refresh_tokens', filter: { _id: 'digest' } },
    { collection: 'refresh_tokens', filter: { parent: 'digest' } },
    { collection: 'refresh_tokens', filter: { expiresAt: { $lt: now } } },
  ],
);
