import { ClientEventPayloads } from '@palaver/contracts';
import { startedForFile } from '@palaver/testing';
import { describe, expect, it } from 'vitest';
import {
  type ClientSocket,
  clientMessageId,
  eventually,
  request,
  startGatewayStack,
} from './gateway-harness.ts';

const stack = startedForFile(() =>
  startGatewayStack('robustness', {
    replicas: 1,
    gatewayEnv: { MAX_PAYLOAD_BYTES: '16384', MAX_SOCKETS_PER_USER: '10' },
    messageEnv: { SEND_RATE: '2', SEND_BURST: '5' },
  }),
);

const gateway = () => stack.gateways[0] as (typeof stack.gateways)[0];
const objectId = 'a'.repeat(24);

/** Hostile payloads: wrong types, operator injection, prototype tricks, deep nesting, odd unicode. */
const hostile: unknown[] = [
  undefined,
  null,
  0,
  -1,
  Number.NaN,
  '',
  'string',
  true,
  [],
  [1, 2, 3],
  {},
  { conversationId: { $gt: '' } },
  { conversationId: objectId, seq: { $gt: 0 } },
  { conversationId: objectId, seq: -1 },
  { conversationId: objectId, seq: 1.5 },
  { conversationId: objectId, seq: '1' },
  { conversationId: `${objectId}\u0000`, isTyping: true },
  { conversationId: objectId, isTyping: 'yes' },
  { conversationId: objectId, clientMessageId: '../../x', body: 'x' },
  { conversationId: objectId, clientMessageId: 'ok', body: 'x'.repeat(4001) },
  { conversationId: objectId, clientMessageId: 'ok', body: '\u202Eevil\u0007' },
  { conversationId: objectId, clientMessageId: 'ok', attachments: [{ uploadId: { $ne: null } }] },
  { __proto__: { polluted: true }, constructor: { prototype: { polluted: true } } },
  { cursors: { [objectId]: -5 } },
  { cursors: { notAnId: 1 } },
  {
    cursors: Object.fromEntries(Array.from({ length: 201 }, (_, i) => [i.toString(16).padStart(24, '0'), 0])),
  },
  { token: 12 },
  JSON.parse(`${'{"a":'.repeat(500)}1${'}'.repeat(500)}`),
];

describe('hostile input', () => {
  it('answers every malformed payload on every event with invalid_request and stays up', async () => {
    const user = await stack.user();
    for (const event of Object.keys(ClientEventPayloads) as (keyof typeof ClientEventPayloads)[]) {
      // A socket per event: invalid events are charged to the socket's budget too.
      const socket = await stack.connect(gateway(), user);
      for (const payload of hostile) {
        const ack = await request(socket, event, payload as never);
        expect(ack, `${event} ${JSON.stringify(payload)?.slice(0, 80)}`).toMatchObject({
          ok: false,
          error: { code: 'invalid_request', message: expect.any(String) },
        });
      }
      expect(socket.connected).toBe(true);
      socket.disconnect();
    }
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('acks unknown_event to events named like prototype members', async () => {
    const socket = await stack.connect(gateway(), await stack.user());
    const emitWithAck = socket.timeout(5000).emitWithAck as unknown as (
      event: string,
      payload: unknown,
    ) => Promise<unknown>;
    for (const event of [
      'toString',
      'constructor',
      '__proto__',
      'hasOwnProperty',
      'valueOf',
      'isPrototypeOf',
    ]) {
      const ack = await emitWithAck.call(socket.timeout(5000), event, {});
      expect(ack, event).toMatchObject({ ok: false, error: { code: 'unknown_event' } });
    }
    expect(socket.connected).toBe(true);
  });

  it('refuses sync cursors keyed by anything but a conversation id', async () => {
    const socket = await stack.connect(gateway(), await stack.user());
    for (const key of ['notAnId', 'toString', '__proto__', `${objectId}x`, objectId.toUpperCase()]) {
      const ack = await request(socket, 'sync', { cursors: JSON.parse(`{${JSON.stringify(key)}:0}`) });
      expect(ack, key).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    }
  });

  it('answers unknown events, tolerates events without an ack and extra arguments', async () => {
    const user = await stack.user();
    const socket = await stack.connect(gateway(), user);
    const emit = socket.emit as unknown as (...args: unknown[]) => void;
    emit.call(socket, 'message:send', { conversationId: objectId });
    emit.call(socket, 'typing');
    emit.call(socket, 'sync', 1, 2, 3, 4);
    emit.call(socket, 'no-such-event', { a: 1 });
    const unknown = await (
      socket.timeout(5000).emitWithAck as unknown as (event: string, payload: unknown) => Promise<unknown>
    ).call(socket.timeout(5000), 'admin:drop-database', {});
    expect(unknown).toMatchObject({ ok: false, error: { code: 'unknown_event' } });
    expect(await request(socket, 'sync', { cursors: {} })).toEqual({ ok: true, conversations: [], gone: [] });
  });

  it('closes only the socket that sends an oversized frame', async () => {
    const [user, bystander] = await stack.users(2);
    const socket = await stack.connect(gateway(), user);
    const other = await stack.connect(gateway(), bystander);
    const closed = new Promise((resolve) => socket.once('disconnect', resolve));
    (socket.emit as unknown as (...args: unknown[]) => void).call(socket, 'typing', {
      conversationId: objectId,
      isTyping: true,
      padding: 'x'.repeat(64 * 1024),
    });
    expect(await closed).toBe('transport close');
    expect(other.connected).toBe(true);
    expect(await request(other, 'sync', { cursors: {} })).toMatchObject({ ok: true });
  });
});

describe('event budget', () => {
  it('charges unknown and invalid events like any other: past the burst they are rate_limited', async () => {
    const socket = await stack.connect(gateway(), await stack.user());
    const emitWithAck = socket.timeout(10_000).emitWithAck as unknown as (
      event: string,
      payload: unknown,
    ) => Promise<{ ok: boolean; error?: { code: string } }>;
    const unknown = await Promise.all(
      Array.from({ length: 80 }, () => emitWithAck.call(socket.timeout(10_000), 'no-such-event', {})),
    );
    expect(unknown.filter((ack) => ack.error?.code === 'rate_limited').length).toBeGreaterThan(0);
    await eventually(async () => (await request(socket, 'sync', { cursors: {} })).ok, 5000);

    const other = await stack.connect(gateway(), await stack.user());
    const invalid = await Promise.all(
      Array.from({ length: 80 }, () => request(other, 'typing', { conversationId: 'nope' } as never)),
    );
    const codes = invalid.map((ack) => (ack.ok ? 'ok' : ack.error.code));
    expect(codes).toContain('invalid_request');
    expect(codes).toContain('rate_limited');
  });

  it('charges sync by its size: a few large syncs in a row are rate_limited, then it recovers', async () => {
    const user = await stack.user();
    const socket = await stack.connect(gateway(), user);
    const cursors = Object.fromEntries(
      Array.from({ length: 200 }, (_, i) => [i.toString(16).padStart(24, 'b'), 0]),
    );
    // Sent together, so the budget cannot refill between them however slow each sync is.
    const acks = await Promise.all(
      Array.from({ length: 4 }, () => request(socket, 'sync', { cursors }, 30_000)),
    );
    expect(acks[0]).toMatchObject({ ok: true, conversations: [], gone: expect.any(Array) });
    expect(acks.at(-1)).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    await eventually(async () => (await request(socket, 'sync', { cursors: {} })).ok, 5000);
  });
});

describe('send rate', () => {
  it('acks rate_limited past the burst, then lets the user send again', async () => {
    const [ada, bob] = await stack.users(2);
    const chat = await stack.direct(ada, bob);
    const socket: ClientSocket = await stack.connect(gateway(), ada);
    const send = () =>
      request(socket, 'message:send', {
        conversationId: chat.id,
        clientMessageId: clientMessageId(),
        body: 'x',
      });
    const acks = await Promise.all(Array.from({ length: 8 }, send));
    const limited = acks.filter((ack) => !ack.ok);
    expect(acks.filter((ack) => ack.ok).length).toBe(5);
    expect(limited[0]).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    await eventually(async () => (await send()).ok, 3000);
  });

  it('is one budget with HTTP sends: what a user sent over HTTP, their sockets cannot send again', async () => {
    const [ada, bob] = await stack.users(2);
    const chat = await stack.direct(ada, bob);
    for (let i = 0; i < 3; i++) {
      await stack.call(ada, 'POST', `/conversations/${chat.id}/messages`, {
        clientMessageId: clientMessageId(),
        body: 'over http',
      });
    }
    const socket: ClientSocket = await stack.connect(gateway(), ada);
    const acks = await Promise.all(
      Array.from({ length: 4 }, () =>
        request(socket, 'message:send', {
          conversationId: chat.id,
          clientMessageId: clientMessageId(),
          body: 'x',
        }),
      ),
    );
    // Burst 5 with 2 per second: at most one token came back while the sockets asked.
    const accepted = acks.filter((ack) => ack.ok).length;
    expect(accepted).toBeGreaterThanOrEqual(2);
    expect(accepted).toBeLessThanOrEqual(3);
    expect(acks.find((ack) => !ack.ok)).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
  });
});

describe('sockets per user', () => {
  it('refuses the 11th socket of a user with too_many_connections, across replicas, and takes one once another closes', async () => {
    const user = await stack.user();
    const sockets = [];
    for (let i = 0; i < 10; i++) sockets.push(await stack.connect(gateway(), user));
    const refused = await stack.connect(gateway(), user).then(
      () => 'connected',
      (error: { data?: unknown }) => error.data,
    );
    expect(refused).toMatchObject({ code: 'too_many_connections', message: expect.any(String) });
    // Another user is not affected.
    expect((await stack.connect(gateway(), await stack.user())).connected).toBe(true);

    sockets[0]?.disconnect();
    const again = await eventually(() => stack.connect(gateway(), user));
    expect(again.connected).toBe(true);
  });

  it('never leaves more than the cap open when handshakes race', async () => {
    const user = await stack.user();
    const results = await Promise.allSettled(
      Array.from({ length: 16 }, () => stack.connect(gateway(), user)),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const open = results.filter((r) => r.status === 'fulfilled' && r.value.connected);
    expect(open.length).toBeLessThanOrEqual(10);
    expect(open.length).toBeGreaterThan(0);
  });
});
