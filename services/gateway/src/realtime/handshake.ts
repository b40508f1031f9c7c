import { type HandshakeRefusal, maxAccessTokenLength } from '@palaver/contracts';
import { type AccessTokenVerifier, DomainError } from '@palaver/service-kit';
import type { PresenceRegistry } from '../presence/presence-registry.ts';
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
    if (typeof token !== 'string' || token.length === 0 || token.length > maxAccessTokenLength) {
      return next(refusal('unauthorized', 'An access token is required in auth.token'));
    }
    let principal: Awaited<ReturnType<AccessTokenVerifier>>;
    try {
      principal = await verify(token);
    } catch (error) {
      const code = error instanceof DomainError ? error.code : 'unauthorized';
      if (code === 'token_expired')
        return next(refusal('token_expired', 'The access token has expired; refresh it and reconnect'));
      // The revocation list could not be read: the token is neither vouched for nor refused.
      if (code === 'unavailable')
        return next(refusal('unavailable', 'Cannot check the session right now; reconnect'));
      return next(
        refusal('unauthorized', error instanceof DomainError ? error.message : 'The access token is invalid'),
      );
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

/**
 * After authentication: a user already holding `max` live sockets (on any replica) gets
 * `connect_error` `too_many_connections`. Handshakes racing each other can pass this
 * together; the connection lifecycle closes whichever of them lands above the cap.
 */
export function limitSocketsPerUser(presence: Pick<PresenceRegistry, 'socketCount'>, max: number) {
  return async (socket: GatewaySocket, next: (error?: Error) => void) => {
    let count: number;
    try {
      count = await presence.socketCount(socket.data.userId);
    } catch {
      return next(refusal('unavailable', 'Cannot count your connections right now; reconnect'));
    }
    if (count >= max) {
      return next(
        refusal('too_many_connections', `You have ${max} connections open already; close one and retry`),
      );
    }
    next();
  };
}
