import type { ClientToServerEvents, ServerToClientEvents } from '@palaver/contracts';
import type { Server, Socket } from 'socket.io';

/** What the handshake learned from the access token; kept on each socket. */
interface SocketData {
  userId: string;
  sessionId: string;
  /** The current access token, forwarded to the message service on the user's behalf. */
  token: string;
  /** Seconds since the epoch. */
  expiresAt: number;
}

export type GatewayServer = Server<ClientToServerEvents, ServerToClientEvents, object, SocketData>;
export type GatewaySocket = Socket<ClientToServerEvents, ServerToClientEvents, object, SocketData>;

/** Every socket of a user: deliveries target these. */
export const userRoom = (userId: string) => `user:${userId}`;
/** Every socket of one login session: revocation disconnects these. */
export const sessionRoom = (sessionId: string) => `session:${sessionId}`;
/** Sockets of users who share a conversation with `userId`: its presence goes here. */
export const watchRoom = (userId: string) => `watch:${userId}`;
/** The user a room watches, if it is a `watchRoom`. */
export const watchedUser = (room: string) =>
  room.startsWith('watch:') ? room.slice('watch:'.length) : undefined;
