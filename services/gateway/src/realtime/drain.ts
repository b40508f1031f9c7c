import type { GatewayServer } from './rooms.ts';

/**
 * Moves this replica's clients elsewhere before it stops: closes their transports, which
 * clients answer by reconnecting (through the edge, to another replica), spread over the
 * first half of `timeoutMs` so the others are not hit all at once; then waits up to the
 * second half for the sockets to be gone.
 */
export async function closeSocketsGradually(io: GatewayServer, timeoutMs: number): Promise<void> {
  const sockets = [...io.of('/').sockets.values()];
  const spacingMs = sockets.length > 0 ? timeoutMs / 2 / sockets.length : 0;
  for (const socket of sockets) {
    socket.conn.close();
    if (spacingMs >= 1) await new Promise((resolve) => setTimeout(resolve, spacingMs));
  }
  const deadline = Date.now() + timeoutMs / 2;
  while (io.of('/').sockets.size > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
