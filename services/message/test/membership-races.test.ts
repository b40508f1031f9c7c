import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Conversation, Message, MessagePage, Upload } from '@palaver/contracts';
import {
  backendVariables,
  createTestTokenIssuer,
  isolatedEnvironment,
  markRevocationListComplete,
  type ServiceProcess,
  startServiceProcess,
  type TestUser,
} from '@palaver/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Membership changes racing sends and renames on two message-service processes and the
 * upload service, against the real embedded store: every acknowledged change must hold
 * afterwards, on the message side and on the upload side. The store does not isolate
 * updates, so a model that kept members in the conversation document loses some here.
 */
const rounds = 10;
const sendsPerRound = 500;
const changesPerRound = 50;
const renamesPerRound = 10;

const messageEntry = fileURLToPath(new URL('../src/server.ts', import.meta.url));
const uploadEntry = fileURLToPath(new URL('../../upload/src/server.ts', import.meta.url));

const issuer = createTestTokenIssuer();
let jwks: { url: string; close: () => Promise<void> };
let messageProcesses: ServiceProcess[];
let upload: ServiceProcess;
let uploadRoot: string;

beforeAll(async () => {
  const env = isolatedEnvironment('races');
  jwks = await issuer.serve();
  await markRevocationListComplete(env);
  uploadRoot = await mkdtemp(join(tmpdir(), 'palaver-races-'));
  const shared = { JWKS_URL: jwks.url, RELAY_INTERVAL: '1s' };
  upload = await startServiceProcess(uploadEntry, {
    ...backendVariables(env, 'upload'),
    ...shared,
    UPLOAD_ROOT: uploadRoot,
    UPLOAD_URL_SECRET: 'r'.repeat(48),
  });
  messageProcesses = await Promise.all(
    [1, 2].map(() =>
      startServiceProcess(messageEntry, {
        ...backendVariables(env, 'message'),
        ...shared,
        UPLOAD_URL: upload.url,
        SEND_BATCH_WINDOW_MS: '2',
        SEND_RATE: '1000000',
        SEND_BURST: '1000000',
      }),
    ),
  );
}, 120_000);

afterAll(async () => {
  await Promise.all([...(messageProcesses ?? []), upload].filter(Boolean).map((p) => p.stop()));
  await jwks?.close();
  if (uploadRoot) await rm(uploadRoot, { recursive: true, force: true });
});

/** What the message processes logged as errors, for failure messages. */
const errorLogs = () =>
  messageProcesses
    .flatMap((p) => p.output().split('\n'))
    .filter((line) => /"level":(50|60)/.test(line))
    .join('\n');

let turn = 0;
/** Calls one of the two message processes, alternately. */
async function call(user: TestUser, method: string, path: string, body?: unknown) {
  const base = (messageProcesses[turn++ % 2] as ServiceProcess).url;
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...user.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: () => JSON.parse(text) };
}

async function uploadFile(user: TestUser, name: string): Promise<Upload> {
  const form = new FormData();
  form.append('file', new Blob([`contents of ${name}`], { type: 'text/plain' }), name);
  const response = await fetch(`${upload.url}/uploads`, {
    method: 'POST',
    headers: user.headers,
    body: form,
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { uploads: Upload[] }).uploads[0] as Upload;
}

const attachmentStatus = async (user: TestUser, uploadId: string) =>
  (await fetch(`${upload.url}/uploads/${uploadId}/meta`, { headers: user.headers })).status;

/** Runs `tasks` with at most `width` in flight. */
async function pool<T>(width: number, tasks: Array<() => Promise<T>>): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < tasks.length) {
        const index = next++;
        results[index] = await (tasks[index] as () => Promise<T>)();
      }
    }),
  );
  return results;
}

const random = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)] as T;

type Expected = { member: boolean; role: 'admin' | 'member' };

/** One user's changes, in order; different users' scripts run at the same time. */
function scriptFor(owner: TestUser, user: TestUser, initiallyMember: boolean, steps: number) {
  const ops: Array<'add' | 'remove' | 'leave' | 'admin' | 'member'> = [];
  let member = initiallyMember;
  for (let i = 0; i < steps; i++) {
    const op = member ? random(['remove', 'leave', 'admin', 'member'] as const) : 'add';
    ops.push(op);
    if (op === 'add') member = true;
    if (op === 'remove' || op === 'leave') member = false;
  }
  return async (conversationId: string, expected: Map<string, Expected>) => {
    for (const op of ops) {
      const path = `/conversations/${conversationId}/members`;
      const response =
        op === 'add'
          ? await call(owner, 'POST', path, { userIds: [user.id] })
          : op === 'remove'
            ? await call(owner, 'DELETE', `${path}/${user.id}`)
            : op === 'leave'
              ? await call(user, 'DELETE', `${path}/${user.id}`)
              : await call(owner, 'PATCH', `${path}/${user.id}`, { role: op });
      expect(response.status, `${op} ${user.id}`).toBeLessThan(300);
      const state = expected.get(user.id) as Expected;
      if (op === 'add') expected.set(user.id, { member: true, role: 'member' });
      else if (op === 'remove' || op === 'leave') expected.set(user.id, { member: false, role: 'member' });
      else expected.set(user.id, { ...state, role: op });
    }
  };
}

describe(`membership changes racing sends and renames (${rounds} rounds, two processes)`, () => {
  for (let round = 1; round <= rounds; round++) {
    it(`round ${round}: every acknowledged change holds on the message and upload sides`, async () => {
      const [owner, steady, ...pool8] = await Promise.all(Array.from({ length: 10 }, () => issuer.mint()));
      const scripted = pool8 as TestUser[];
      const initial = scripted.slice(0, 4);
      const created = await call(owner as TestUser, 'POST', '/conversations', {
        type: 'group',
        title: 'round',
        memberIds: [steady, ...initial].map((u) => (u as TestUser).id),
      });
      expect(created.status).toBe(201);
      const conversationId = (created.json() as Conversation).id;

      // An attachment sent at once: its upload event has not necessarily arrived yet.
      const file = await uploadFile(owner as TestUser, `round-${round}.txt`);
      const withFile = await call(owner as TestUser, 'POST', `/conversations/${conversationId}/messages`, {
        clientMessageId: `file-${round}`,
        attachments: [{ uploadId: file.id }],
      });
      expect(withFile.status).toBe(201);

      const expected = new Map<string, Expected>(
        scripted.map((u) => [u.id, { member: initial.includes(u), role: 'member' as const }]),
      );
      const steps = Math.ceil(changesPerRound / scripted.length);
      const scripts = scripted.map((u) => scriptFor(owner as TestUser, u, initial.includes(u), steps));

      const acked = new Map<string, Message>();
      const senders = [owner, steady] as TestUser[];
      const sends = Array.from({ length: sendsPerRound }, (_, i) => async () => {
        const clientMessageId = `r${round}-${i}`;
        const response = await call(
          senders[i % 2] as TestUser,
          'POST',
          `/conversations/${conversationId}/messages`,
          {
            clientMessageId,
            body: `message ${i}`,
          },
        );
        if (response.status !== 201) expect.fail(`${JSON.stringify(response.json())}\n${errorLogs()}`);
        acked.set(clientMessageId, response.json());
      });
      let title = 'round';
      const renames = async () => {
        for (let i = 1; i <= renamesPerRound; i++) {
          const next = `round ${round} title ${i}`;
          const response = await call(owner as TestUser, 'PATCH', `/conversations/${conversationId}`, {
            title: next,
          });
          expect(response.status).toBe(200);
          title = next;
        }
      };
      await Promise.all([
        pool(16, sends),
        renames(),
        ...scripts.map((script) => script(conversationId, expected)),
      ]);

      // Membership and roles as the acknowledged changes left them.
      const view = (
        await call(owner as TestUser, 'GET', `/conversations/${conversationId}`)
      ).json() as Conversation;
      expect(view.title).toBe(title);
      const roles = new Map(view.members.map((m) => [m.userId, m.role]));
      expect(roles.get((owner as TestUser).id)).toBe('owner');
      expect(roles.has((steady as TestUser).id)).toBe(true);
      for (const user of scripted) {
        const want = expected.get(user.id) as Expected;
        expect(roles.has(user.id), `membership of ${user.id}`).toBe(want.member);
        if (want.member) expect(roles.get(user.id), `role of ${user.id}`).toBe(want.role);
      }

      // Every acknowledged send is stored once, and seqs run 1..lastSeq without a gap.
      const history: Message[] = [];
      for (let after = 0; ; ) {
        const page = (
          await call(
            owner as TestUser,
            'GET',
            `/messages?conversationId=${conversationId}&after=${after}&limit=100`,
          )
        ).json() as MessagePage;
        history.push(...page.messages);
        if (!page.hasMore) break;
        after = page.messages.at(-1)?.seq ?? after;
      }
      expect(history.map((m) => m.seq)).toEqual(history.map((_, i) => i + 1));
      expect(history.length).toBe(view.lastSeq);
      const stored = new Map(history.map((m) => [m.clientMessageId, m]));
      for (const [clientMessageId, message] of acked) {
        expect(stored.get(clientMessageId)?.seq, clientMessageId).toBe(message.seq);
      }

      // Former members are out everywhere: history, sends and the attachment; members are in.
      for (const user of scripted) {
        const member = (expected.get(user.id) as Expected).member;
        const historyStatus = (await call(user, 'GET', `/messages?conversationId=${conversationId}`)).status;
        expect(historyStatus).toBe(member ? 200 : 404);
        if (!member) {
          const send = await call(user, 'POST', `/conversations/${conversationId}/messages`, {
            clientMessageId: `late-${round}-${user.id}`,
            body: 'still here?',
          });
          expect(send.status).toBe(404);
        }
        await expect
          .poll(() => attachmentStatus(user, file.id), { timeout: 10_000, interval: 100 })
          .toBe(member ? 200 : 404);
      }
    }, 120_000);
  }
});
