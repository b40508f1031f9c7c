import type { HandshakeRefusal } from '@palaver/contracts';
import { type AccessTokenVerifier, DomainError } from '@palaver/service-kit';
import type { GatewaySocket } from './rooms.ts';

/** A `connect_error` whose `data` carries a stable code the client can act on. */
function refusal(code: HandshakeRefusal['code'], message: string) {
  return Object.assign(new Error(message), { data: { code, message } satisfies HandshakeRefusal });
}

/**
 * Socket.IO middleware: the handshake must carry `auth: { token }`, a valid access token.
 * A draining replica refuses new sockets, so clients retry and land on another one.
 */
export function authenticateHandshake(verify: AccessTokenVerifier, isDraining: () => boolean) {
  return async (socket: GatewaySocket, next: (error?: Error) => void) => {
    if (isDraining()) return next(refusal('unavailable', 'This replica is shutting down; reconnect'));
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    if (typeof token !== 'string' || token.length === 0 || token.length > 4096) {
      return next(refusal('unauthorized', 'An access token is required in auth.token'));
    }
    try {
      const principal = await verify(token);
      socket.data = {
        userId: principal.userId,
        sessionId: principal.sessionId,
        token,
        expiresAt: principal.expiresAt,
      };
      next();
    } catch (error) {
      const expired = error instanceof DomainError && error.code === 'token_expired';
      next(
        expired
          ? refusal('token_expired', 'The access token has expired; refresh it and reconnect')
          : refusal('unauthorized', 'The access token is invalid'),
      );
    }
  };
}
