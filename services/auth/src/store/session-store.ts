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
sessionSchema.index({ revocationPublished: 1, revokedAt: 1 });

/** Refresh tokens are stored only as SHA-256 digests (`_id`); a token is used once. */
const refreshTokenSchema = new Schema(
  {
    _id: { type: String, required: true },
    sessionId: { type: String, required: true },
    expiresAt: { type: Date, required: true },
    rotatedAt: { type: Date, default: null },
  },
  { collection: 'refresh_tokens', timestamps: { createdAt: true, updatedAt: false } },
);
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
  expiresAt: Date;
  rotatedAt: Date | null;
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

    insertRefreshToken: (token: { digest: string; sessionId: string; expiresAt: Date }) =>
      RefreshToken.create({ _id: token.digest, sessionId: token.sessionId, expiresAt: token.expiresAt }),

    /** Atomically marks a live token as used; null when it is unknown, expired or already used. */
    consumeRefreshToken: (digest: string, now: Date) =>
      RefreshToken.findOneAndUpdate(
        { _id: digest, rotatedAt: null, expiresAt: { $gt: now } },
        { $set: { rotatedAt: now } },
        { new: true },
      )
        .lean<RefreshTokenRecord>()
        .exec(),

    findRefreshToken: (digest: string) => RefreshToken.findById(digest).lean<RefreshTokenRecord>().exec(),

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

    /** Drops refresh tokens and sessions past their expiry (run periodically). */
    deleteExpired: async (now: Date) => {
      await RefreshToken.deleteMany({ expiresAt: { $lt: now } }).exec();
      await Session.deleteMany({ expiresAt: { $lt: now }, revocationPublished: true }).exec();
    },
  };
}

export type SessionStore = ReturnType<typeof createSessionStore>;
