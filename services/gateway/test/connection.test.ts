import { startedForFile } from '@palaver/testing';
import { io as connectClient } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import {
  type ClientSocket,
  collect,
  eventually,
  request,
  send,
  startGatewayStack,
} from './gateway-harness.ts';

const stack = startedForFile(() => startGatewayStack('connection', { replicas: 2 }));

const replica = (i: number) => stack.gateways[i] as (typeof stack.gateways)[0];

/** Tries a handshake and returns the refusal's data (or 'connected'). */
async function handshake(auth: unknown): Promise<unknown> {
  const socket = connectClient(replica(0).url, {
    auth: auth as Record<string, unknown>,
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  try {
    return await new Promise((resolve) => {
      socket.once('connect', () => resolve('connected'));
      socket.once('connect_error', (error) => resolve((error as Error & { data?: unknown }).data));
    });
  } finally {
    socket.disconnect();
  }
}

describe('handshake', () => {
  it('refuses missing, malformed, forged and expired tokens with a stable code', async () => {
    const user = await stack.user();
    const unauthorized = { code: 'unauthorized', message: expect.any(String) };
    expect(await handshake({})).toEqual(unauthorized);
    expect(await handshake({ token: 42 })).toEqual(unauthorized);
    expect(await handshake({ token: { $gt: '' } })).toEqual(unauthorized);
    expect(await handshake({ token: 'x'.repeat(10_000) })).toEqual(unauthorized);
    expect(await handshake({ token: `${user.token.slice(0, -4)}AAAA` })).toEqual(unauthorized);
    const expired = await stack.user({ expiresInSeconds: -10 });
    expect(await handshake({ token: expired.token })).toEqual({
      code: 'token_expired',
      message: expect.any(String),
    });
    expect(await handshake({ token: user.token })).toBe('connected');
  });
});

// What a browser does: long-polling first, then the upgrade to a websocket (or polling
// only, where websockets are blocked). The gateway drops each handshake's request object.
describe.each([
  { transports: ['polling'], upgraded: false },
  { transports: ['polling', 'websocket'], upgraded: true },
])('over $transports', ({ transports, upgraded }) => {
  it('connects, delivers, acknowledges and keeps going', async () => {
    const [ada, bob] = await stack.users(2);
    const chat = await stack.direct(ada, bob);
    const bobSocket = await stack.connect(replica(1), bob);
    const received = collect(bobSocket, 'message:received');
    const socket = connectClient(replica(0).url, { auth: { token: ada.token }, transports, forceNew: true });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
      if (upgraded) await eventually(() => socket.io.engine.transport.name === 'websocket');
      for (const body of ['one', 'two', 'three']) await send(socket as ClientSocket, chat.id, body);
      await eventually(() => received.length === 3);
      expect(received.map((event) => event.message.body)).toEqual(['one', 'two', 'three']);
      expect(socket.connected).toBe(true);
      expect(socket.io.engine.transport.name).toBe(upgraded ? 'websocket' : 'polling');
    } finally {
      socket.disconnect();
    }
  });
});

describe('token lifetime on a live socket', () => {
  it('emits auth:expired and disconnects when the token runs out', async () => {
    const user = await stack.user({ expiresInSeconds: 2 });
    const socket = await stack.connect(replica(0), user);
    const expired = new Promise((resolve) => socket.once('auth:expired', resolve));
    const closed = new Promise((resolve) => socket.once('disconnect', resolve));
    expect(await expired).toEqual({ expiredAt: expect.any(String) });
    expect(await closed).toBe('io server disconnect');
  });

  it('stays connected when the client sends a fresh token first', async () => {
    const user = await stack.user({ expiresInSeconds: 2 });
    const socket = await stack.connect(replica(0), user);
    let expired = false;
    socket.on('auth:expired', () => {
      expired = true;
    });
    const fresh = await stack.user({ userId: user.id, sessionId: user.sessionId });
    const ack = await request(socket, 'auth:refresh', { token: fresh.token });
    expect(ack).toEqual({ ok: true, expiresAt: expect.any(String) });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(expired).toBe(false);
    expect(socket.connected).toBe(true);
  });

  it("refuses someone else's token and a bad token on auth:refresh", async () => {
    const [user, other] = await stack.users(2);
    const socket = await stack.connect(replica(0), user);
    expect(await request(socket, 'auth:refresh', { token: other.token })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    expect(await request(socket, 'auth:refresh', { token: 'not.a.token' })).toMatchObject({
      ok: false,
      error: { code: 'unauthorized' },
    });
    expect(socket.connected).toBe(true);
  });
});

describe('session revocation', () => {
  it("disconnects that session's sockets on every replica, and only those", async () => {
    const user = await stack.user();
    const otherSession = await stack.user({ userId: user.id });
    const revoked: ClientSocket[] = [
      await stack.connect(replica(0), user),
      await stack.connect(replica(1), user),
    ];
    const kept = await stack.connect(replica(1), otherSession);
    // As auth revokes: the session listed as ended first, then the event.
    await stack.revocations.list.revoke(user.sessionId, 900);
    await stack.broker.publish('auth.session.revoked', {
      sessionId: user.sessionId,
      userId: user.id,
      reason: 'logout',
      revokedAt: new Date().toISOString(),
    });
    await eventually(() => revoked.every((socket) => !socket.connected));
    expect(kept.connected).toBe(true);

    // The session's access token is still unexpired, but it opens nothing any more...
    await eventually(async () => (await handshake({ token: user.token })) !== 'connected');
    expect(await handshake({ token: user.token })).toEqual({
      code: 'unauthorized',
      message: expect.any(String),
    });
    // ...and cannot be swapped into a live socket either.
    expect(await request(kept, 'auth:refresh', { token: user.token })).toMatchObject({
      ok: false,
      error: { code: 'unauthorized' },
    });
    expect(kept.connected).toBe(true);
  });
});
