import type { HandshakeRefusal } from '@palaver/contracts';
import { type AccessTokenVerifier, DomainError } from '@palaver/service-kit';
import type { RevokedSessions } from './revoked-sessions.ts';
import type { GatewaySocket } from './rooms.ts';

/** A `connect_error` whose `data` carries a stable code the client can act on. */
function refusal(code: HandshakeRefusal['code'], message: string) {
  return Object.assign(new Error(message), { data: { code, message } satisfies HandshakeRefusal });
}

/**
 * Socket.IO middleware: the handshake must carry `auth: { token }`, a valid access token.
 * A draining replica refuses new sockets, so clients retry and land on another one.
 */
export function authenticateHandshake(
  verify: AccessTokenVerifier,
  revokedSessions: RevokedSessions,
  isDraining: () => boolean,
) {
  return async (socket: GatewaySocket, next: (error?: Error) => void) => {
    if (isDraining()) return next(refusal('unavailable', 'This replica is shutting down; reconnect'));
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    if (typeof token !== 'string' || token.length === 0 || token.length > 4096) {
      return next(refusal('unauthorized', 'An access token is required in auth.token'));
    }
    let principal: Awaited<ReturnType<AccessTokenVerifier>>;
    try {
      principal = await verify(token);
    } catch (error) {
      const expired = error instanceof DomainError && error.code === 'token_expired';
      return next(
        expired
          ? refusal('token_expired', 'The access token has expired; refresh it and reconnect')
          : refusal('unauthorized', 'The access token is invalid'),
      );
    }
    try {
      if (await revokedSessions.isRevoked(principal.sessionId)) {
        return next(refusal('unauthorized', 'This session has ended; sign in again'));
      }
    } catch {
      return next(refusal('unavailable', 'Cannot check the session right now; reconnect'));
    }
    socket.data = {
      userId: principal.userId,
      sessionId: principal.sessionId,
      token,
      expiresAt: principal.expiresAt,
    };
    next();
  };
}
