import type { ClientToServerEvents, HandshakeRefusal, ServerToClientEvents } from '@palaver/contracts';
import { io, type Socket } from 'socket.io-client';

export type GatewaySocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * One Socket.IO connection to the gateways through the edge. The handshake reads the token
 * at each (re)connect, so a reconnect after a refresh carries the fresh one.
 */
export function connectGateway(token: () => string): GatewaySocket {
  return io({
    path: '/socket.io',
    auth: (send) => send({ token: token() }),
    // Polling first, then the upgrade: the edge times out a polling handshake to a replica
    // that does not answer (frozen) and tries the next one, which it cannot do for a
    // websocket handshake without also cutting idle websockets (docs/operations.md).
    transports: ['polling', 'websocket'],
    reconnectionDelay: 500,
    reconnectionDelayMax: 5000,
    autoConnect: false,
  });
}

/** The refusal code of a `connect_error`, when the gateway refused the handshake. */
export function refusalCode(error: Error): HandshakeRefusal['code'] | undefined {
  return (error as Error & { data?: Partial<HandshakeRefusal> }).data?.code;
}
