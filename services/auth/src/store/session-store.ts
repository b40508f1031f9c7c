import { type Connection, Schema } from 'mongoose';

export type RevokeReason = 'logout' | 'refresh_reuse';

const sessionSchema = new Schema(
  {
    _id: { type: String, required: true },
    userId: { type: Schema.Types.ObjectId, required: true },
    expiresAt: { type: Date, required: true },
    revokedAt: { type: Date, default: null },
    revokeReason: { type: String, default: null },
    /** False until `auth.session.revoked` is confirmed by the broker; the relay retries. */
    revocationPublished: { type: Boolean, default: true },
    userAgent: { type: String, default: null },
  },
  { collection: 'sessions', timestamps: true },
);
sessionSchema.index({ userId: 1 });
sessionSchema.index({ expiresAt: 1 });
sessionSchema.index({ revocationPublished: 1, revokedAt: 1 });

/**
 * Refresh tokens are stored only as SHA-256 digests (`_id`). Each token names the one it
 * replaced in `parent`, under a unique index: the insert of a successor is the atomic
 * "use once" step, on MongoDB and FerretDB alike (FerretDB v1's findAndModify is not
 * atomic under concurrency, a unique index is).
 */
const refreshTokenSchema = new Schema(
  {
    _id: { type: String, required: true },
    sessionId: { type: String, required: true },
    /** Digest of the token this one replaced, or `session:<id>` for a session's first. */
    parent: { type: String, required: true },
    expiresAt: { type: Date, required: true },
  },
  { collection: 'refresh_tokens', timestamps: { createdAt: true, updatedAt: false } },
);
refreshTokenSchema.index({ parent: 1 }, { unique: true });
refreshTokenSchema.index({ sessionId: 1 });
refreshTokenSchema.index({ expiresAt: 1 });

export interface SessionRecord {
  _id: string;
  userId: import('mongoose').Types.ObjectId;
  expiresAt: Date;
  revokedAt: Date | null;
  revokeReason: RevokeReason | null;
}

export interface RefreshTokenRecord {
  _id: string;
  sessionId: string;
  parent: string;
  expiresAt: Date;
}

export function createSessionStore(connection: Connection) {
  const Session = connection.model('Session', sessionSchema);
  const RefreshToken = connection.model('RefreshToken', refreshTokenSchema);

  return {
    models: [Session, RefreshToken],

    insertSession: (session: { id: string; userId: string; expiresAt: Date; userAgent?: string }) =>
      Session.create({
        _id: session.id,
        userId: session.userId,
        expiresAt: session.expiresAt,
        userAgent: session.userAgent?.slice(0, 256) ?? null,
      }),

    findSession: (id: string) => Session.findById(id).lean<SessionRecord>().exec(),

    /** Throws a duplicate-key error (code 11000) when `parent` already has a successor. */
    insertRefreshToken: (token: { digest: string; sessionId: string; parent: string; expiresAt: Date }) =>
      RefreshToken.create({
        _id: token.digest,
        sessionId: token.sessionId,
        parent: token.parent,
        expiresAt: token.expiresAt,
      }),

    findRefreshToken: (digest: string) => RefreshToken.findById(digest).lean<RefreshTokenRecord>().exec(),

    hasSuccessor: async (digest: string) => (await RefreshToken.exists({ parent: digest }).exec()) !== null,

    /** Revokes once; returns the session only if this call revoked it. */
    revokeSession: (id: string, reason: RevokeReason, now: Date) =>
      Session.findOneAndUpdate(
        { _id: id, revokedAt: null },
        { $set: { revokedAt: now, revokeReason: reason, revocationPublished: false } },
        { new: true },
      )
        .lean<SessionRecord>()
        .exec(),

    markRevocationPublished: (id: string) =>
      Session.updateOne({ _id: id }, { $set: { revocationPublished: true } }).exec(),

    unpublishedRevocations: (limit: number) =>
      Session.find({ revocationPublished: false })
        .sort({ revokedAt: 1 })
        .limit(limit)
        .lean<SessionRecord[]>()
        .exec(),

    /** Sessions revoked at or after `since` (refilling the revocation list; rare). */
    revokedSince: (since: Date) =>
      Session.find({ revokedAt: { $gte: since } }, { _id: 1, revokedAt: 1 })
        .lean<Array<Pick<SessionRecord, '_id' | 'revokedAt'>>>()
        .exec(),

    /** Expired refresh tokens, and expired sessions whose revocation (if any) was announced. */
    deleteExpired: async (now: Date) => {
      const tokens = await RefreshToken.deleteMany({ expiresAt: { $lt: now } }).exec();
      const sessions = await Session.deleteMany({
        expiresAt: { $lt: now },
        revocationPublished: true,
      }).exec();
      return { sessions: sessions.deletedCount, refreshTokens: tokens.deletedCount };
    },
  };
}

export type SessionStore = ReturnType<typeof createSessionStore>;
