import type { Message } from '@palaver/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collect,
  eventually,
  type GatewayReplica,
  type GatewayStack,
  request,
  send,
  startGatewayStack,
} from './gateway-harness.ts';

// Replicas run as processes here, so they can be killed and signalled.
let stack: GatewayStack;
let survivor: GatewayReplica;
beforeAll(async () => {
  stack = await startGatewayStack('failover', {
    replicas: 0,
    gatewayEnv: { PRESENCE_HEARTBEAT: '1s', PRESENCE_TIMEOUT: '3s', DRAIN_TIMEOUT: '2s' },
  });
  survivor = await stack.startGateway({ process: true });
});
afterAll(async () => {
  await stack?.close();
});

describe('a replica killed with SIGKILL', () => {
  it('loses and duplicates nothing: clients move to another replica and sync by seq', async () => {
    const doomed = await stack.startGateway({ process: true });
    const [ada, bob, carol] = await stack.users(3);
    const chat = await stack.direct(ada, bob);
    await stack.direct(ada, carol);
    const bobBefore = await stack.connect(doomed, bob);
    await stack.connect(doomed, carol); // carol does not come back
    const adaSocket = await stack.connect(survivor, ada);
    const adaSees = collect(adaSocket, 'user:status');
    await eventually(() => adaSees.length === 2); // both online, as ada is told on connect
    const liveBefore = collect(bobBefore, 'message:received');

    const total = 60;
    const sent: Message[] = [];
    const sending = (async () => {
      for (let i = 0; i < total; i++) {
        sent.push(await send(adaSocket, chat.id, `m${i}`));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    await eventually(() => liveBefore.length >= 10);
    doomed.process?.child.kill('SIGKILL');
    await eventually(() => !bobBefore.connected);

    // Bob's client reconnects (here: to the survivor) and asks for what it missed.
    const cursor = Math.max(0, ...liveBefore.map((event) => event.message.seq));
    const bobAfter = await stack.connect(survivor, bob);
    const liveAfter = collect(bobAfter, 'message:received');
    const synced = await request(bobAfter, 'sync', { cursors: { [chat.id]: cursor } });
    if (!synced.ok) throw new Error(synced.error.message);
    await sending;
    await eventually(() => liveAfter.some((event) => event.message.seq === total));

    const syncedSeqs = synced.conversations[0]?.messages.map((m) => m.seq) ?? [];
    expect(syncedSeqs.every((seq) => seq > cursor)).toBe(true);
    const counts = new Map<number, number>();
    const liveSeqs = [...liveBefore, ...liveAfter].map((event) => event.message.seq);
    for (const seq of liveSeqs) counts.set(seq, (counts.get(seq) ?? 0) + 1);
    // No socket ever received a message twice...
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    // ...and live deliveries plus the sync, merged by seq as the client does, are all of them.
    const merged = new Set([...liveSeqs, ...syncedSeqs]);
    expect([...merged].sort((a, b) => a - b)).toEqual(sent.map((m) => m.seq));
    expect(merged.size).toBe(total);

    // Carol's only socket died with the replica: the survivors reap it within the timeout.
    await eventually(() => adaSees.some((s) => s.userId === carol.id && s.status === 'offline'), 8000);
    expect(adaSees.some((s) => s.userId === bob.id && s.status === 'offline')).toBe(false);
  });
});

describe('a replica restarted under the same REPLICA_ID', () => {
  it('drops what its previous life registered, so those users go offline at once', async () => {
    const first = await stack.startGateway({ process: true });
    const [ada, bob] = await stack.users(2);
    await stack.direct(ada, bob);
    await stack.connect(first, bob);
    const adaSocket = await stack.connect(survivor, ada);
    const adaSees = collect(adaSocket, 'user:status');
    await eventually(() => adaSees.some((s) => s.userId === bob.id && s.status === 'online'));
    first.process?.child.kill('SIGKILL');
    await first.process?.exited;
    // Back within PRESENCE_TIMEOUT (3 s here) under the same name: not reaped by the others,
    // so only the restarted replica itself can clear bob's dead socket.
    const restarted = await stack.startGateway({ process: true, env: { REPLICA_ID: first.replicaId } });
    await eventually(() => adaSees.some((s) => s.userId === bob.id && s.status === 'offline'), 2500);
    await restarted.close();
  });
});

describe('a replica stopped with SIGTERM', () => {
  it('turns unready, refuses new sockets, moves its clients away and exits 0', async () => {
    const leaving = await stack.startGateway({ process: true });
    const [ada, bob] = await stack.users(2);
    await stack.direct(ada, bob);
    const bobSocket = await stack.connect(leaving, bob);
    const adaSocket = await stack.connect(survivor, ada);
    const adaSees = collect(adaSocket, 'user:status');
    await eventually(() => adaSees.length === 1);
    const reason = new Promise((resolve) => bobSocket.once('disconnect', resolve));

    leaving.process?.child.kill('SIGTERM');
    await eventually(async () => (await fetch(`${leaving.url}/readyz`)).status === 503, 2000);
    await expect(stack.connect(leaving, bob)).rejects.toMatchObject({ data: { code: 'unavailable' } });
    // A transport close, which Socket.IO clients answer by reconnecting by themselves.
    expect(await reason).toBe('transport close');
    await stack.connect(survivor, bob);
    expect(await leaving.process?.exited).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(adaSees.filter((s) => s.userId === bob.id && s.status === 'offline')).toEqual([]);
  });

  it('keeps a user online who comes back late in the drain; one who does not goes offline by its end', async () => {
    const leaving = await stack.startGateway({ process: true });
    const [ada, bob, carol] = await stack.users(3);
    await stack.direct(ada, bob);
    await stack.direct(ada, carol);
    const bobSocket = await stack.connect(leaving, bob);
    await stack.connect(leaving, carol);
    const adaSocket = await stack.connect(survivor, ada);
    const adaSees = collect(adaSocket, 'user:status');
    await eventually(() => adaSees.length === 2);
    const gone = new Promise((resolve) => bobSocket.once('disconnect', resolve));
    const stoppedAt = Date.now();
    leaving.process?.child.kill('SIGTERM');
    await gone;
    // Well after the replica's last socket is gone (two closed 0.5 s apart): a client
    // backing off, or survivors slow to admit a reconnect storm.
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    await stack.connect(survivor, bob);
    expect(await leaving.process?.exited).toBe(0);
    await eventually(() => adaSees.some((s) => s.userId === carol.id && s.status === 'offline'));
    // DRAIN_TIMEOUT is 2 s here: carol is dropped at its end, not before bob is back.
    expect(Date.now() - stoppedAt).toBeLessThan(4_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(adaSees.filter((s) => s.userId === bob.id && s.status === 'offline')).toEqual([]);
  });

  it('keeps beating through a drain longer than PRESENCE_TIMEOUT, so its users are not reaped mid-drain', async () => {
    // Drains of thousands of sockets take longer than the 3 s after which the others reap a
    // silent replica; a user coming back after that must still not be seen offline.
    const leaving = await stack.startGateway({ process: true, env: { DRAIN_TIMEOUT: '10s' } });
    const [ada, bob] = await stack.users(2);
    await stack.direct(ada, bob);
    const bobSocket = await stack.connect(leaving, bob);
    const adaSocket = await stack.connect(survivor, ada);
    const adaSees = collect(adaSocket, 'user:status');
    await eventually(() => adaSees.length === 1);
    const gone = new Promise((resolve) => bobSocket.once('disconnect', resolve));
    leaving.process?.child.kill('SIGTERM');
    await gone;
    // Past the presence timeout (3 s) and a reaper's tick (1 s) after the last beat.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    expect(adaSees.filter((s) => s.userId === bob.id && s.status === 'offline')).toEqual([]);
    await stack.connect(survivor, bob);
    expect(await leaving.process?.exited).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(adaSees.filter((s) => s.userId === bob.id && s.status === 'offline')).toEqual([]);
  }, 20_000);
});
