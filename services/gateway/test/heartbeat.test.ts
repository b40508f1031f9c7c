import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, eventually, type GatewayStack, startGatewayStack } from './gateway-harness.ts';
import { startSilentProxy } from './silent-proxy.ts';

// The heartbeat is the only way to notice a network that dies without a FIN or RST; with
// SOCKET_PING_INTERVAL 2 s and SOCKET_PING_TIMEOUT 4 s a silent cut must show within 4–6 s.
// (A timeout of 2 s let a live socket flap in CI: with every test file running at once an
// event loop can stall that long.)
// (The defaults, 10 s + 5 s, are measured by bench:heartbeat.)
describe('heartbeat', () => {
  let stack: GatewayStack;
  beforeAll(async () => {
    stack = await startGatewayStack('heartbeat', {
      replicas: 2,
      gatewayEnv: { SOCKET_PING_INTERVAL: '2s', SOCKET_PING_TIMEOUT: '4s' },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('shows a client whose network died silently offline within interval + timeout', async () => {
    const [first, second] = stack.gateways as [GatewayStack['gateways'][0], GatewayStack['gateways'][0]];
    const proxy = await startSilentProxy(second.url);
    try {
      const [ada, bob, cem] = await stack.users(3);
      await stack.direct(ada, bob);
      await stack.direct(ada, cem);
      const adaSocket = await stack.connect(first, ada);
      const adaSees = collect(adaSocket, 'user:status');
      await stack.connect({ ...second, url: proxy.url }, bob);
      // cem stays on a live network: answered pings must keep it online.
      await stack.connect(second, cem);
      const statusOf = (userId: string) => adaSees.filter((s) => s.userId === userId).at(-1)?.status;
      await eventually(() => statusOf(bob.id) === 'online' && statusOf(cem.id) === 'online');

      const cutAt = Date.now();
      proxy.cut();
      await eventually(() => statusOf(bob.id) === 'offline', 15_000);
      const seconds = (Date.now() - cutAt) / 1000;
      expect(seconds).toBeGreaterThanOrEqual(3.9);
      expect(seconds).toBeLessThan(10);

      await new Promise((resolve) => setTimeout(resolve, 6500));
      // From the first time ada saw cem online (the status she got as she connected may
      // predate cem's socket).
      const cemSeen = adaSees.filter((s) => s.userId === cem.id).map((s) => s.status);
      expect(cemSeen.slice(cemSeen.indexOf('online'))).not.toContain('offline');
    } finally {
      await proxy.close();
    }
  });
});
