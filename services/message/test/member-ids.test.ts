import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  backendVariables,
  dropMongoDatabase,
  isolatedEnvironment,
  type ServiceProcess,
  startServiceProcess,
} from '@palaver/testing';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Real auth and message processes: the message service asks auth, with the caller's own
// token, whether member ids are people and whose the usernames a message mentions are.
const authEntry = fileURLToPath(new URL('../../auth/src/server.ts', import.meta.url));
const messageEntry = fileURLToPath(new URL('../src/server.ts', import.meta.url));

let auth: ServiceProcess;
let message: ServiceProcess;
let keysDir: string;
let mongoUrl: string;

interface Person {
  id: string;
  username: string;
  token: string;
}

beforeAll(async () => {
  const env = isolatedEnvironment('member-ids');
  mongoUrl = env.mongoDatabaseUrl;
  keysDir = await mkdtemp(join(tmpdir(), 'palaver-member-ids-'));
  const { privateKey } = generateKeyPairSync('ed25519');
  await writeFile(join(keysDir, 'k1.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  auth = await startServiceProcess(authEntry, { ...backendVariables(env, 'auth'), JWT_KEYS_DIR: keysDir });
  message = await startServiceProcess(messageEntry, {
    ...backendVariables(env, 'message'),
    JWKS_URL: `${auth.url}/auth/.well-known/jwks.json`,
    AUTH_URL: auth.url,
  });
}, 120_000);

afterAll(async () => {
  await Promise.all([message, auth].filter(Boolean).map((p) => p.stop()));
  await dropMongoDatabase(mongoUrl);
  await rm(keysDir, { recursive: true, force: true });
});

let counter = 0;
async function person(): Promise<Person> {
  const username = `ids_${process.pid}_${counter++}`;
  const response = await fetch(`${auth.url}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: 'correct horse battery', displayName: username }),
  });
  expect(response.status).toBe(201);
  const body = (await response.json()) as { user: { id: string }; accessToken: string };
  return { id: body.user.id, username, token: body.accessToken };
}

/** The fields these checks read, loosely: each test asserts what it expects. */
interface Answer {
  id: string;
  seq: number;
  mentions: string[];
  unreadMentions: number;
  members: unknown[];
  conversations: unknown[];
  error: { code: string; message: string; details: { userIds: string[] } };
}

async function call(caller: Person, method: string, path: string, body?: object) {
  // A new auth signals its revocation list complete within a couple of seconds.
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(`${message.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${caller.token}`, 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (response.status !== 503 || attempt >= 50) {
      return { status: response.status, body: (await response.json()) as Answer };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const nobody = `${'0'.repeat(23)}1`;

describe('member ids', () => {
  it('must be people: direct chats, groups and additions with an unknown id are refused, storing nothing', async () => {
    const [ada, bob, carol] = [await person(), await person(), await person()];

    const direct = await call(ada, 'POST', '/conversations', { type: 'direct', userId: nobody });
    expect(direct.status).toBe(400);
    expect(direct.body.error).toMatchObject({ code: 'unknown_users', details: { userIds: [nobody] } });

    const group = await call(ada, 'POST', '/conversations', {
      type: 'group',
      title: 'Team',
      memberIds: [bob.id, nobody],
    });
    expect(group.status).toBe(400);
    expect(group.body.error.details.userIds).toEqual([nobody]);
    expect((await call(ada, 'GET', '/conversations')).body.conversations).toEqual([]);

    const created = await call(ada, 'POST', '/conversations', {
      type: 'group',
      title: 'Team',
      memberIds: [bob.id],
    });
    expect(created.status).toBe(201);
    const added = await call(ada, 'POST', `/conversations/${created.body.id}/members`, {
      userIds: [carol.id, nobody],
    });
    expect(added.status).toBe(400);
    expect(added.body.error.code).toBe('unknown_users');
    expect((await call(ada, 'GET', `/conversations/${created.body.id}`)).body.members).toHaveLength(2);

    // Real people pass, and are remembered: auth is asked about each only once.
    const ok = await call(ada, 'POST', `/conversations/${created.body.id}/members`, { userIds: [carol.id] });
    expect(ok.status).toBe(200);
    expect(ok.body.members).toHaveLength(3);
    expect((await call(carol, 'POST', '/conversations', { type: 'direct', userId: ada.id })).status).toBe(
      201,
    );
    const mongo = await mongoose.createConnection(mongoUrl).asPromise();
    try {
      const known = await mongo.collection('known_users').find().toArray();
      expect(known.map((doc) => doc._id.toHexString()).sort()).toEqual([ada.id, bob.id, carol.id].sort());
    } finally {
      await mongo.close();
    }
  });
});

describe('mentions', () => {
  let sent = 0;
  const send = (from: Person, conversationId: string, body: string) =>
    call(from, 'POST', `/conversations/${conversationId}/messages`, { clientMessageId: `m${sent++}`, body });
  const summary = async (caller: Person, conversationId: string) =>
    ((await call(caller, 'GET', '/conversations')).body.conversations as Answer[]).find(
      (c) => c.id === conversationId,
    ) as Answer;

  it('resolve @usernames of members into ids, count unread mentions per member, and leave others plain', async () => {
    const [ada, bob, carol, outsider] = [await person(), await person(), await person(), await person()];
    const group = (
      await call(ada, 'POST', '/conversations', {
        type: 'group',
        title: 'Team',
        memberIds: [bob.id, carol.id],
      })
    ).body;

    const first = await send(
      ada,
      group.id,
      `hi @${bob.username.toUpperCase()} and @${outsider.username}, @nobody_x`,
    );
    expect(first.status).toBe(201);
    expect(first.body.mentions).toEqual([bob.id]); // not the outsider, not nobody
    await send(carol, group.id, `@${bob.username}: again; @${ada.username} too`);
    await send(carol, group.id, 'no mention');

    expect(await summary(bob, group.id)).toMatchObject({ unreadMentions: 2, unreadCount: 3 });
    expect(await summary(ada, group.id)).toMatchObject({ unreadMentions: 1 });
    expect((await summary(carol, group.id)).unreadMentions).toBe(0); // her own mentions don't count
    expect((await summary(outsider, group.id)) ?? null).toBeNull();

    // Reading past a mention clears it; an edit can add one.
    await call(bob, 'POST', `/conversations/${group.id}/read`, { seq: 2 });
    expect(await summary(bob, group.id)).toMatchObject({ unreadMentions: 0, unreadCount: 1 });
    const edited = await call(carol, 'PATCH', `/conversations/${group.id}/messages/3`, {
      body: `now for @${bob.username}`,
    });
    expect(edited.body.mentions).toEqual([bob.id]);
    expect((await summary(bob, group.id)).unreadMentions).toBe(1);
    // And an edit that takes it out takes the unread mention back.
    await call(carol, 'PATCH', `/conversations/${group.id}/messages/3`, { body: 'never mind' });
    expect((await summary(bob, group.id)).unreadMentions).toBe(0);
  });
});
