/**
 * The whole system as an operator runs it: `infra/local/palaver up` starts everything on
 * this machine, and every request here goes through the nginx edge on 127.0.0.1:8080 —
 * registration, login, websockets and long-polling on /socket.io/, a direct message between
 * users on different gateway replicas, an upload and its download, scaling the gateways
 * from 2 to 3 and back while clients stay connected, a bounded fuzz of every route and socket
 * event, and `palaver down` leaving nothing behind.
 */
import { randomBytes } from 'node:crypto';
import { readFile, readlink } from 'node:fs/promises';
import { createConnection } from 'node:net';
import type { Message } from '@palaver/contracts';
import fc from 'fast-check';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAnswer, checkSocketEvent, operationsOf, requestsFor, socketEvents } from './fuzz.ts';
import {
  api,
  assertStackPortsFree,
  type Client,
  edge,
  edgeFetch,
  eventually,
  gatewayPorts,
  type Person,
  palaverCommand,
  portOpen,
  register,
  root,
  run,
  socketsPerReplica,
  stackPorts,
} from './stack-client.ts';

const clients: Client[] = [];
function connect(person: Person, transport: 'websocket' | 'polling' = 'websocket'): Promise<Client> {
  const socket: Client = io(edge, {
    auth: { token: person.token },
    transports: [transport],
    withCredentials: true, // keeps the edge's affinity cookie, as a browser does
    forceNew: true,
    reconnectionDelay: 200,
    reconnectionDelayMax: 1000,
  });
  clients.push(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

/** Connects `person` until the socket lands on a replica other than `avoid` (by port). */
async function connectElsewhere(person: Person, avoid: number): Promise<{ socket: Client; port: number }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const before = await socketsPerReplica();
    const socket = await connect(person);
    const after = await socketsPerReplica();
    const port = gatewayPorts.find((p) => (after[p] ?? 0) > (before[p] ?? 0));
    if (port !== undefined && port !== avoid) return { socket, port };
    socket.disconnect();
  }
  throw new Error('every connection landed on the same replica');
}

let ada: Person;
let bob: Person;
let chatId: string;
let startedHere = false;

beforeAll(async () => {
  // From nothing: this file checks that `up` starts everything and `down` leaves nothing.
  await assertStackPortsFree();
  startedHere = true;
  const output = await palaverCommand('up', '--detach', '--gateways', '2');
  expect(output).toContain('Palaver is up: http://127.0.0.1:8080');
  [ada, bob] = await Promise.all([register(), register()]);
  chatId = (
    await api<{ id: string }>('POST', '/api/conversations', { type: 'direct', userId: bob.id }, ada.token)
  ).id;
});

afterAll(async () => {
  for (const socket of clients) socket.disconnect();
  if (startedHere) await palaverCommand('down').catch(() => undefined);
});

describe('the stack through the edge', () => {
  it('delivers a direct message between users on different gateway replicas', async () => {
    const adaSocket = await connect(ada);
    const counts = await socketsPerReplica();
    const adaReplica = gatewayPorts.find((port) => (counts[port] ?? 0) > 0);
    expect(adaReplica).toBeDefined();
    const { socket: bobSocket, port: bobReplica } = await connectElsewhere(bob, adaReplica as number);
    expect(bobReplica).not.toBe(adaReplica);

    const received = new Promise<Message>((resolve) =>
      bobSocket.once('message:received', ({ message }) => resolve(message)),
    );
    const ack = await adaSocket.timeout(10_000).emitWithAck('message:send', {
      conversationId: chatId,
      clientMessageId: 'smoke-1',
      body: 'hello through the edge 👋',
    });
    expect(ack).toMatchObject({ ok: true, message: { seq: 1, body: 'hello through the edge 👋' } });
    expect(await received).toMatchObject({ seq: 1, senderId: ada.id });
  });

  it('keeps a long-polling client on one replica (the affinity cookie)', async () => {
    const socket = await connect(bob, 'polling');
    expect(socket.io.engine.transport.name).toBe('polling');
    // Many polling round trips; without stickiness the session is unknown on the other replica.
    for (let i = 0; i < 5; i++) {
      const ack = await socket.timeout(10_000).emitWithAck('sync', { cursors: { [chatId]: 0 } });
      expect(ack).toMatchObject({ ok: true });
    }
    expect(socket.connected).toBe(true);
  });

  it('uploads a file and downloads the same bytes', async () => {
    const bytes = randomBytes(300_000);
    const form = new FormData();
    form.append('file', new Blob([bytes], { type: 'application/octet-stream' }), 'smoke.bin');
    const response = await edgeFetch(`${edge}/api/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ada.token}` },
      body: form,
    });
    expect(response.status).toBe(201);
    const { uploads } = (await response.json()) as { uploads: { id: string; url: string; size: number }[] };
    expect(uploads[0]?.size).toBe(bytes.length);
    const download = await edgeFetch(`${edge}${uploads[0]?.url}`);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('scales gateways from 2 to 3 and back while clients stay connected or reconnect', async () => {
    await palaverCommand('scale', '3');
    expect(await portOpen(4013)).toBe(true);
    // Clients until at least one sits on the new replica, so scaling back really moves one.
    const people: Person[] = [];
    const sockets: Client[] = [];
    for (let i = 0; i < 20 && ((await socketsPerReplica())[4013] ?? 0) === 0; i++) {
      const person = await register();
      people.push(person);
      sockets.push(await connect(person));
    }
    expect((await socketsPerReplica())[4013]).toBeGreaterThan(0);

    await palaverCommand('scale', '2');
    expect(await portOpen(4013)).toBe(false);
    await eventually(() => sockets.every((socket) => socket.connected));
    // Every client, moved or not, still gets messages.
    for (const [i, person] of people.entries()) {
      const chat = await api<{ id: string }>(
        'POST',
        '/api/conversations',
        { type: 'direct', userId: person.id },
        ada.token,
      );
      const socket = sockets[i] as Client;
      const got = new Promise((resolve) => socket.once('message:received', resolve));
      await api(
        'POST',
        `/api/conversations/${chat.id}/messages`,
        { clientMessageId: `scale-${i}`, body: 'still there?' },
        ada.token,
      );
      await got;
    }
  });

  it("refuses an ended session's token on every route of every service and on the socket within 1 s", async () => {
    const docs = [
      '/api/auth/docs/json',
      '/api/messages/docs/json',
      '/api/uploads/docs/json',
      '/api/search/docs/json',
    ];
    const routes: Array<{ method: string; path: string }> = [];
    for (const doc of docs) {
      const spec = await api<{ paths: Record<string, Record<string, { security?: unknown[] }>> }>('GET', doc);
      for (const [path, operations] of Object.entries(spec.paths)) {
        for (const [method, operation] of Object.entries(operations)) {
          if (!operation.security?.length) continue;
          // Ids that parse but name nothing: the token is checked before anything is looked up.
          const concrete = path.replace(/\{[^}]+\}/g, '0123456789abcdef01234567');
          routes.push({ method: method.toUpperCase(), path: `/api${concrete}` });
        }
      }
    }
    expect(routes.length).toBeGreaterThan(15);
    const statusOf = async (route: { method: string; path: string }, token: string) => {
      const hasBody = !['GET', 'DELETE', 'HEAD'].includes(route.method);
      const response = await edgeFetch(`${edge}${route.path}`, {
        method: route.method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(hasBody ? { 'content-type': 'application/json' } : {}),
        },
        ...(hasBody ? { body: '{}' } : {}),
      });
      return { status: response.status, body: await response.text() };
    };

    // Logout, and a stolen refresh token replayed (reuse revokes the whole session).
    for (const ending of ['logout', 'refresh reuse'] as const) {
      const username = `smoke_${randomBytes(5).toString('hex')}`;
      const password = 'correct horse battery staple';
      await api('POST', '/api/auth/register', { username, password, displayName: 'Ending' });
      const pair = await api<{ user: { id: string }; accessToken: string; refreshToken: string }>(
        'POST',
        '/api/auth/login',
        { username, password },
      );
      const person = { id: pair.user.id, username, token: pair.accessToken };
      const live = await connect(person);
      const closed = new Promise<void>((resolve) => live.once('disconnect', () => resolve()));
      // The token works before: a conversation to reach afterwards.
      const chat = await api<{ id: string }>(
        'POST',
        '/api/conversations',
        { type: 'direct', userId: ada.id },
        person.token,
      );

      const endedAt = Date.now();
      if (ending === 'logout') {
        await api('POST', '/api/auth/logout', undefined, person.token);
      } else {
        await api('POST', '/api/auth/refresh', { refreshToken: pair.refreshToken });
        const replay = await edgeFetch(`${edge}/api/auth/refresh`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ refreshToken: pair.refreshToken }),
        });
        expect(replay.status).toBe(401);
      }
      const send = await statusOf(
        { method: 'POST', path: `/api/conversations/${chat.id}/messages` },
        person.token,
      );
      const handshake = await new Promise<unknown>((resolve) => {
        const socket: Client = io(edge, {
          auth: { token: person.token },
          transports: ['websocket'],
          forceNew: true,
          reconnection: false,
        });
        socket.once('connect', () => {
          socket.disconnect();
          resolve('connected');
        });
        socket.once('connect_error', (error) => resolve((error as { data?: unknown }).data));
      });
      await closed;
      const within = Date.now() - endedAt;
      expect(send.status, `${ending}: send ${send.body}`).toBe(401);
      expect(handshake, ending).toMatchObject({ code: 'unauthorized' });
      expect(within, `${ending}: live socket closed after ${within} ms`).toBeLessThan(1000);
      for (const route of routes) {
        const { status, body } = await statusOf(route, person.token);
        expect(status, `${ending}: ${route.method} ${route.path} ${body}`).toBe(401);
        expect(JSON.parse(body)).toMatchObject({
          error: { code: expect.any(String), message: expect.any(String) },
        });
      }
    }
  });

  it('sends the security headers once on every kind of response, and errors nginx makes in the JSON shape', async () => {
    const index = await edgeFetch(`${edge}/`);
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(await index.text())?.[1];
    expect(script).toBeDefined();
    const upload = new FormData();
    upload.append('file', new Blob([randomBytes(64)], { type: 'application/octet-stream' }), 'headers.bin');
    const stored = await edgeFetch(`${edge}/api/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ada.token}` },
      body: upload,
    });
    const { uploads } = (await stored.json()) as { uploads: Array<{ url: string }> };
    const responses = {
      index,
      asset: await edgeFetch(`${edge}${script}`),
      socket: await edgeFetch(`${edge}/socket.io/?EIO=4&transport=polling`),
      api: await edgeFetch(`${edge}/api/conversations`, {
        headers: { authorization: `Bearer ${ada.token}` },
      }),
      download: await edgeFetch(`${edge}${uploads[0]?.url}`),
    };
    for (const [name, response] of Object.entries(responses)) {
      expect(response.status, name).toBeLessThan(400);
      expect(response.headers.get('x-content-type-options'), name).toBe('nosniff');
      expect(response.headers.get('x-frame-options'), name).toBe('DENY');
      expect(response.headers.get('content-security-policy'), name).toContain("frame-ancestors 'none'");
      expect(response.headers.get('strict-transport-security'), `${name}: plain HTTP`).toBeNull();
    }
    expect(responses.asset.headers.get('cache-control')).toContain('immutable');
    expect(responses.index.headers.get('cache-control')).toBe('no-cache');
    expect(responses.socket.headers.get('set-cookie')).toContain('palaver_gateway=');
    expect(responses.api.headers.get('set-cookie')).toBeNull();

    const rawStatus = (request: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const socket = createConnection({ host: '127.0.0.1', port: 8080 }, () => socket.end(request));
        let text = '';
        socket.on('data', (chunk) => {
          text += chunk.toString();
        });
        socket.on('end', () =>
          resolve({ status: Number(text.split(' ')[1]), body: text.split('\r\n\r\n')[1] ?? '' }),
        );
        socket.on('error', reject);
      });
    const nginxMade = {
      400: await rawStatus('GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n'),
      405: await edgeFetch(`${edge}${script}`, { method: 'POST' }).then(async (r) => ({
        status: r.status,
        body: await r.text(),
      })),
      414: await edgeFetch(`${edge}/api/conversations?${'q'.repeat(20_000)}`).then(async (r) => ({
        status: r.status,
        body: await r.text(),
      })),
    };
    for (const [status, answer] of Object.entries(nginxMade)) {
      expect(answer.status).toBe(Number(status));
      expect(JSON.parse(answer.body), status).toMatchObject({
        error: { code: expect.any(String), message: expect.any(String) },
      });
    }
  });

  it('trusts X-Forwarded-For only from the edge, not from a client calling a service directly', async () => {
    const attempt = () =>
      fetch('http://127.0.0.1:4001/auth/login', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-forwarded-for': `10.9.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`,
        },
        body: JSON.stringify({ username: 'nobody_spoofing', password: 'wrong password here' }),
      });
    // A fresh forged address on every try: if it were trusted, the limit would never apply.
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await attempt()).status);
    expect(statuses).toContain(429);
  });

  // Late in the file: it logs in, registers and sends as much as the limits allow.
  it('keeps the error contract under a bounded fuzz of every route and socket event, and stays healthy', async () => {
    const form = new FormData();
    form.append('file', new Blob(['fuzz']), 'fuzz.txt');
    const uploaded = await edgeFetch(`${edge}/api/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ada.token}` },
      body: form,
    });
    const upload = ((await uploaded.json()) as { uploads: Array<{ id: string }> }).uploads[0]?.id as string;
    // Ids worth hitting besides random ones: things that exist and belong to the caller.
    const known = {
      id: [chatId, upload],
      conversationId: [chatId],
      userId: [bob.id, ada.id],
      memberIds: [bob.id],
      userIds: [bob.id],
      ids: [bob.id, ada.id],
      uploadId: [upload],
    };
    const complaints: string[] = [];
    let requests = 0;
    for (const doc of [
      '/api/auth/docs/json',
      '/api/messages/docs/json',
      '/api/uploads/docs/json',
      '/api/search/docs/json',
    ]) {
      const spec = await api<Parameters<typeof operationsOf>[0]>('GET', doc);
      // Logging out would end the session the rest of the run uses (revocation has its own test).
      for (const operation of operationsOf(spec).filter((op) => op.path !== '/auth/logout')) {
        const property = fc.asyncProperty(
          requestsFor(operation, { prefix: '/api', tokens: [ada.token], known }),
          async (request) => {
            requests++;
            const response = await edgeFetch(`${edge}${request.path}`, request);
            const text = request.method === 'HEAD' ? '{}' : await response.text();
            const complaint = checkAnswer(response.status, response.headers.get('content-type'), text);
            if (complaint) complaints.push(`${request.method} ${request.path.slice(0, 120)}: ${complaint}`);
          },
        );
        await fc.assert(property, { numRuns: 20 });
      }
    }
    expect(requests).toBeGreaterThan(400);

    const sockets = await Promise.all([connect(ada), connect(bob), connect(ada)]);
    let events = 0;
    await fc.assert(
      fc.asyncProperty(socketEvents(known), async ({ event, payload }) => {
        const complaint = await checkSocketEvent(sockets[events++ % sockets.length] as never, event, payload);
        if (complaint) complaints.push(complaint);
      }),
      { numRuns: 150 },
    );
    expect(complaints).toEqual([]);

    // Nothing it sent took a process down or left one unready.
    for (const port of [4001, 4002, 4003, 4005, 4011, 4012]) {
      for (const probe of ['healthz', 'readyz']) {
        expect((await fetch(`http://127.0.0.1:${port}/${probe}`)).status, `${port}/${probe}`).toBe(200);
      }
    }
    for (const socket of sockets) expect(socket.connected).toBe(true);
  });

  it('stops everything and leaves no process behind', async () => {
    for (const socket of clients) socket.disconnect();
    await palaverCommand('down');
    startedHere = false;
    for (const port of stackPorts) expect(await portOpen(port), `port ${port}`).toBe(false);
    // Services run from their folder in the checkout, Redis from its data folder; FerretDB,
    // nginx and RabbitMQ name their state under .local/data on their command line.
    const { stdout } = await run('ps', ['-eo', 'pid=']);
    const leftovers: string[] = [];
    for (const pid of stdout
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean)) {
      const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => '');
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      const dataDir = `${root}.local/data`;
      if (cwd.startsWith(`${root}services/`) || cwd.startsWith(dataDir) || cmdline.includes(dataDir)) {
        leftovers.push(`${pid} ${cmdline.replaceAll('\0', ' ').trim()}`);
      }
    }
    expect(leftovers).toEqual([]);
  });
});
