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
    // Websocket first; polling (sticky through the edge) only when websockets are blocked.
    transports: ['websocket', 'polling'],
    reconnectionDelay: 500,
    reconnectionDelayMax: 5000,
    autoConnect: false,
  });
}

/** The refusal code of a `connect_error`, when the gateway refused the handshake. */
export function refusalCode(error: Error): HandshakeRefusal['code'] | undefined {
  return (error as Error & { data?: Partial<HandshakeRefusal> }).data?.code;
}
