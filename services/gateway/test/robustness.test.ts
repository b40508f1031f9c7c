import { ClientEventPayloads } from '@palaver/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ClientSocket,
  clientMessageId,
  eventually,
  type GatewayStack,
  request,
  startGatewayStack,
} from './gateway-harness.ts';

let stack: GatewayStack;
beforeAll(async () => {
  stack = await startGatewayStack('robustness', {
    replicas: 1,
    gatewayEnv: { SEND_RATE: '2', SEND_BURST: '5', MAX_PAYLOAD_BYTES: '16384' },
  });
});
afterAll(async () => {
  await stack?.close();
});

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
    const socket = await stack.connect(gateway(), user);
    for (const event of Object.keys(ClientEventPayloads) as (keyof typeof ClientEventPayloads)[]) {
      for (const payload of hostile) {
        const ack = await request(socket, event, payload as never);
        expect(ack, `${event} ${JSON.stringify(payload)?.slice(0, 80)}`).toMatchObject({
          ok: false,
          error: { code: 'invalid_request', message: expect.any(String) },
        });
      }
    }
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    expect(socket.connected).toBe(true);
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
    const [user, bystander] = await Promise.all([stack.user(), stack.user()]);
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
  it('charges sync by its size: a few large syncs in a row are rate_limited, then it recovers', async () => {
    const user = await stack.user();
    const socket = await stack.connect(gateway(), user);
    const cursors = Object.fromEntries(
      Array.from({ length: 200 }, (_, i) => [i.toString(16).padStart(24, 'b'), 0]),
    );
    const acks = [];
    for (let i = 0; i < 4; i++) acks.push(await request(socket, 'sync', { cursors }, 30_000));
    expect(acks[0]).toMatchObject({ ok: true, conversations: [], gone: expect.any(Array) });
    expect(acks.at(-1)).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    await eventually(async () => (await request(socket, 'sync', { cursors: {} })).ok, 5000);
  });
});

describe('send rate', () => {
  it('acks rate_limited past the burst, then lets the user send again', async () => {
    const [ada, bob] = await Promise.all([stack.user(), stack.user()]);
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
});
