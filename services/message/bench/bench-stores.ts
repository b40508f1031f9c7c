/**
 * What the message benchmarks share: the stores to compare (the project's default and,
 * on request, FerretDB on SQLite started here), a message-service process on one of them,
 * and preloading history straight through the driver in the service's own document shape.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { provisionInfrastructure } from '@palaver/testing/infrastructure';
import { freePort, type ServiceProcess, startServiceProcess } from '@palaver/testing/process-tools';
import { markRevocationListComplete } from '@palaver/testing/revocation-list';
import type { TestUser } from '@palaver/testing/test-tokens';
import { mongo } from 'mongoose';
import { messageIdFor } from '../src/domain/message-appender.ts';
import { blockOf } from '../src/store/message-store.ts';

const { MongoClient, ObjectId } = mongo;
type ObjectId = InstanceType<typeof ObjectId>;

const root = fileURLToPath(new URL('../../../', import.meta.url));
const messageEntry = join(root, 'services/message/src/server.ts');

export interface Store {
  /** `default` (what the local stack runs: FerretDB on PostgreSQL unless told otherwise) or `sqlite`. */
  name: string;
  url: string;
  stop: () => Promise<void>;
}

/** FerretDB v1 on SQLite in a temporary folder, with the binary the local stack built. */
async function startSqliteFerretDb(): Promise<Store> {
  const binary = join(root, '.local/tools/ferretdb-v1.24.2');
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run infra/local/palaver infra start once`);
  const dir = await mkdtemp(join(tmpdir(), 'palaver-bench-sqlite-'));
  const port = await freePort();
  const child = spawn(
    binary,
    [
      '--handler=sqlite',
      `--sqlite-url=file:${dir}/`,
      `--state-dir=${dir}`,
      `--listen-addr=127.0.0.1:${port}`,
      '--debug-addr=-',
      '--telemetry=disable',
      '--log-level=error',
    ],
    { stdio: 'ignore' },
  );
  const url = `mongodb://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      const client = await MongoClient.connect(url, { serverSelectionTimeoutMS: 200 });
      await client.close();
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    name: 'sqlite',
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await once(child, 'exit');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The stores named in BENCH_STORES (default: the project's default store only). */
export async function benchStores(): Promise<{
  stores: Store[];
  backends: { amqpUrl: string; redisUrl: string };
  stop: () => Promise<void>;
}> {
  const { infra, stop } = await provisionInfrastructure();
  const names = (process.env.BENCH_STORES ?? 'default').split(',');
  const stores: Store[] = [];
  for (const name of names) {
    if (name === 'default') stores.push({ name: 'default', url: infra.mongoUrl, stop: async () => {} });
    else if (name === 'sqlite') stores.push(await startSqliteFerretDb());
    else throw new Error(`BENCH_STORES: unknown store '${name}' (default, sqlite)`);
  }
  return {
    stores,
    backends: { amqpUrl: infra.amqpUrl, redisUrl: infra.redisUrl },
    stop: async () => {
      for (const store of stores) await store.stop();
      await stop();
    },
  };
}

/** The default store's figures are `<base>.md`; another selection writes a file of its own. */
export function reportName(base: string, stores: Store[]) {
  const names = stores.map((store) => store.name);
  return names.join(',') === 'default' ? base : `${base}-${names.join('-')}`;
}

/** A database of its own on `store`, dropped by `drop`. */
export function benchDatabase(store: Store, label: string) {
  const name = `bench_${label}_${randomBytes(3).toString('hex')}`;
  const url = new URL(store.url);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      const client = await MongoClient.connect(url.toString());
      await client.db(name).dropDatabase();
      await client.close();
    },
  };
}

export async function startMessageService(
  database: ReturnType<typeof benchDatabase>,
  backends: { amqpUrl: string; redisUrl: string },
  jwksUrl: string,
  env: Record<string, string> = {},
): Promise<ServiceProcess> {
  // Stands in for auth's revocation list, which services need to accept tokens.
  const redisPrefix = `${database.name}:`;
  await markRevocationListComplete({ redisUrl: backends.redisUrl, redisPrefix });
  return startServiceProcess(messageEntry, {
    MONGO_URL: database.url,
    AMQP_URL: backends.amqpUrl,
    REDIS_URL: backends.redisUrl,
    REDIS_PREFIX: redisPrefix,
    BROKER_EXCHANGE: `${database.name}.events`,
    QUEUE_PREFIX: database.name,
    JWKS_URL: jwksUrl,
    LOG_LEVEL: 'warn',
    // The benchmarks drive a few users far past a person's send budget.
    SEND_RATE: '1000000',
    SEND_BURST: '1000000',
    // BENCH_PROFILE=dir writes a V8 CPU profile of the service there when it stops.
    ...(process.env.BENCH_PROFILE
      ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.BENCH_PROFILE}` }
      : {}),
    ...env,
  });
}

export async function createGroup(base: string, owner: TestUser, members: TestUser[], title: string) {
  const response = await fetch(`${base}/conversations`, {
    method: 'POST',
    headers: { ...owner.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'group', title, memberIds: members.map((m) => m.id) }),
  });
  if (response.status !== 201) throw new Error(`create group: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { id: string }).id;
}

/** The send benchmarks' workload: 20 senders in pairs, each pair a group of its own. */
export async function sendersInPairs(base: string, mint: () => Promise<TestUser>) {
  const users = await Promise.all(Array.from({ length: 20 }, () => mint()));
  const conversations: string[] = [];
  for (let c = 0; c < 10; c++)
    conversations.push(
      await createGroup(base, users[c * 2] as TestUser, [users[c * 2 + 1] as TestUser], `bench ${c}`),
    );
  return { base, users, conversations };
}

/**
 * Stores `count` more messages, spread over `conversationIds` round-robin, as the service
 * would have stored them (ids, seqs, blocks, heads): history without the time to send it.
 */
export async function preloadMessages(
  databaseUrl: string,
  conversationIds: string[],
  senderId: string,
  count: number,
) {
  const client = await MongoClient.connect(databaseUrl);
  const db = client.db();
  const heads = db.collection<{ _id: ObjectId; lastSeq: number }>('conversation_heads');
  const next = new Map<string, number>();
  for (const id of conversationIds)
    next.set(id, ((await heads.findOne({ _id: new ObjectId(id) }))?.lastSeq ?? 0) + 1);
  const messages = db.collection('messages');
  const sender = new ObjectId(senderId);
  const batch = 500;
  const writers = 4;
  let stored = 0;
  while (stored < count) {
    await Promise.all(
      Array.from({ length: writers }, async () => {
        const docs = [];
        for (let i = 0; i < batch && stored < count; i++, stored++) {
          const conversation = conversationIds[stored % conversationIds.length] as string;
          const seq = next.get(conversation) as number;
          next.set(conversation, seq + 1);
          const clientMessageId = randomUUID();
          docs.push({
            _id: messageIdFor(senderId, clientMessageId),
            conversationId: new ObjectId(conversation),
            seq,
            block: blockOf(seq),
            senderId: sender,
            clientMessageId,
            kind: 'text',
            body: `history ${seq}: the quick brown fox jumps over the lazy dog`,
            attachments: [],
            createdAt: new Date(),
            editedAt: null,
            deletedAt: null,
          });
        }
        if (docs.length > 0) await messages.insertMany(docs as never[], { ordered: false });
      }),
    );
  }
  const now = new Date();
  for (const [id, seq] of next) {
    await heads.updateOne(
      { _id: new ObjectId(id) },
      { $set: { lastSeq: seq - 1, lastMessageAt: now, activityAt: now.getTime() } },
    );
  }
  await client.close();
}
