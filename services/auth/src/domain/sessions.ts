import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { TokenPair } from '@palaver/contracts';
import { isDuplicateKey } from '@palaver/service-kit';
import { AuthError } from '../errors.ts';
import type { RevokeReason, SessionStore } from '../store/session-store.ts';

export interface SessionPolicy {
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
}

/** Signs an access token for a user's session; only the auth service holds the key. */
export type SignAccessToken = (claims: { sub: string; sid: string; jti: string }) => Promise<string> | string;

/** Tells the rest of the system a session is gone; throws when Redis or the broker is unreachable. */
export type AnnounceRevocation = (revoked: {
  sessionId: string;
  userId: string;
  reason: RevokeReason;
  revokedAt: Date;
}) => Promise<void>;

const digest = (token: string) => createHash('sha256').update(token).digest('base64url');

// Over 80 lines as a whole: a factory whose methods (each short) share its dependencies.
export function createSessions(deps: {
  store: SessionStore;
  policy: SessionPolicy;
  signAccessToken: SignAccessToken;
  announceRevocation: AnnounceRevocation;
  onAnnounceFailure: (error: unknown) => void;
  now?: () => Date;
}) {
  const { store, policy } = deps;
  const now = deps.now ?? (() => new Date());

  /** Issues a pair; `parent` is what the refresh token replaces (unique: a token is used once). */
  async function issuePair(userId: string, sessionId: string, parent: string, at: Date): Promise<TokenPair> {
    const refreshToken = randomBytes(32).toString('base64url');
    await store.insertRefreshToken({
      digest: digest(refreshToken),
      sessionId,
      parent,
      expiresAt: new Date(at.getTime() + policy.refreshTokenTtlSeconds * 1000),
    });
    const accessToken = await deps.signAccessToken({ sub: userId, sid: sessionId, jti: randomUUID() });
    return { accessToken, expiresIn: policy.accessTokenTtlSeconds, refreshToken };
  }

  async function revokeSession(sessionId: string, reason: RevokeReason): Promise<void> {
    const revoked = await store.revokeSession(sessionId, reason, now());
    if (!revoked?.revokedAt) return; // already revoked: announced then
    try {
      await deps.announceRevocation({
        sessionId,
        userId: revoked.userId.toHexString(),
        reason,
        revokedAt: revoked.revokedAt,
      });
      await store.markRevocationPublished(sessionId);
    } catch (error) {
      // Stored as unpublished: the relay lists and announces it once Redis and the broker are back.
      deps.onAnnounceFailure(error);
    }
  }

  return {
    /** Starts a session (one per login) and returns its first token pair. */
    async openSession(userId: string, userAgent?: string): Promise<TokenPair> {
      const at = now();
      const sessionId = randomUUID();
      await store.insertSession({
        id: sessionId,
        userId,
        expiresAt: new Date(at.getTime() + policy.refreshTokenTtlSeconds * 1000),
        ...(userAgent ? { userAgent } : {}),
      });
      return issuePair(userId, sessionId, `session:${sessionId}`, at);
    },

    /**
     * Exchanges a refresh token for a new pair. Each token works once: presenting a
     * token that was already rotated means it leaked, so the whole session is revoked.
     */
    async refreshSession(refreshToken: string): Promise<TokenPair> {
      const at = now();
      const tokenDigest = digest(refreshToken);
      const token = await store.findRefreshToken(tokenDigest);
      if (!token || token.expiresAt <= at) {
        throw new AuthError('invalid_refresh_token', 'The refresh token is invalid or expired');
      }
      const session = await store.findSession(token.sessionId);
      if (!session || session.revokedAt)
        throw new AuthError('session_revoked', 'The session has been revoked');

      const reuse = async () => {
        await revokeSession(token.sessionId, 'refresh_reuse');
        return new AuthError(
          'session_revoked',
          'This refresh token was already used; the session is revoked',
        );
      };
      if (await store.hasSuccessor(tokenDigest)) throw await reuse();
      try {
        return await issuePair(session.userId.toHexString(), session._id, tokenDigest, at);
      } catch (error) {
        // Another request rotated this token between our check and our insert.
        if (isDuplicateKey(error)) throw await reuse();
        throw error;
      }
    },

    revokeSession,

    /** Throws unless the session exists and is live. */
    async assertSessionActive(sessionId: string): Promise<void> {
      const session = await store.findSession(sessionId);
      if (!session || session.revokedAt)
        throw new AuthError('session_revoked', 'The session has been revoked');
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
