/**
 * A TCP relay on loopback whose `cut()` stands for a network that dies silently (a phone
 * losing coverage, a NAT dropping state): it stops forwarding in both directions and never
 * closes either side, so neither end sees a FIN or RST — only missing heartbeats tell.
 */
import { createConnection, createServer, type Socket } from 'node:net';

export interface SilentProxy {
  /** `http://127.0.0.1:<port>`: connect here instead of the target. */
  url: string;
  /** From now on nothing passes either way; connections stay open. */
  cut: () => void;
  close: () => Promise<void>;
}

export async function startSilentProxy(target: string): Promise<SilentProxy> {
  const { hostname, port } = new URL(target);
  const pairs: Array<[Socket, Socket]> = [];
  let cut = false;
  const server = createServer((client) => {
    const upstream = createConnection({ host: hostname, port: Number(port) });
    pairs.push([client, upstream]);
    client.on('data', (chunk) => cut || upstream.write(chunk));
    upstream.on('data', (chunk) => cut || client.write(chunk));
    // Before the cut a close passes through as it would on a live network.
    client.on('close', () => cut || upstream.destroy());
    upstream.on('close', () => cut || client.destroy());
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    cut: () => {
      cut = true;
      // Paused sockets leave what arrives in the kernel's buffers: TCP still acknowledges
      // it, but no ping reaches the client and no pong the gateway, and nothing is closed.
      for (const [client, upstream] of pairs) {
        client.pause();
        upstream.pause();
      }
    },
    close: async () => {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
