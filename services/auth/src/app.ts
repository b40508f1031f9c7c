import fastifyJwt from '@fastify/jwt';
import rateLimit from '@fastify/rate-limit';
import type { Broker, Relay } from '@palaver/events';
import type { Logger } from '@palaver/logger';
import {
  backendReadiness,
  createAccessTokenVerifier,
  createRevocationList,
  createServiceAppFrom,
  DomainError,
  requireAccessToken,
  type ServiceKit,
} from '@palaver/service-kit';
import type { FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { Connection } from 'mongoose';
import { createAvatarCheck } from './clients/avatar-check.ts';
import type { AuthConfig } from './config.ts';
import { createAccounts } from './domain/accounts.ts';
import { createLoginFailureLimit } from './domain/login-failures.ts';
import { type SessionExpiry, startSessionExpiry } from './domain/session-expiry.ts';
import { createSessions } from './domain/sessions.ts';
import type { KeyRing } from './domain/signing-keys.ts';
import { authErrors } from './errors.ts';
import {
  type RevocationListKeeper,
  revocationAnnouncer,
  startRevocationListKeeper,
  startRevocationRelay,
} from './events/session-events.ts';
import { authRoutes } from './routes/auth-routes.ts';
import { jwksRoutes } from './routes/jwks-routes.ts';
import { userRoutes } from './routes/user-routes.ts';
import { createSessionStore } from './store/session-store.ts';
import { createUserStore } from './store/user-store.ts';

export type AuthAppConfig = Pick<
  AuthConfig,
  | 'LOG_LEVEL'
  | 'TRUST_PROXY'
  | 'REDIS_PREFIX'
  | 'JWT_ISSUER'
  | 'JWT_AUDIENCE'
  | 'ACCESS_TOKEN_TTL'
  | 'REFRESH_TOKEN_TTL'
  | 'LOGIN_RATE_LIMIT'
  | 'REGISTER_RATE_LIMIT'
  | 'RATE_LIMIT_WINDOW'
  | 'LOGIN_ADDRESS_FAILURE_LIMIT'
  | 'LOGIN_ADDRESS_FAILURE_WINDOW'
  | 'RELAY_INTERVAL'
  | 'SESSION_SWEEP_INTERVAL'
  | 'UPLOAD_URL'
>;

export interface AuthDependencies {
  mongo: Connection;
  redis: Redis;
  broker: Broker;
  keyRing: KeyRing;
  logger?: Logger;
}

export interface AuthApp extends ServiceKit {
  /** Republishes revocations the broker missed; runs on an interval, flushable by tests. */
  relay: Relay;
  /** Deletes expired sessions and refresh tokens; runs on an interval, callable by tests. */
  sessionExpiry: SessionExpiry;
  /** Refills the revocation list in Redis when it lost its data. */
  revocationList: RevocationListKeeper;
}

/** How often auth checks that the revocation list in Redis is still complete. */
const revocationListCheckMs = 2000;

// Over 80 lines as a whole: wiring only, one step per part, read top to bottom.
/** Builds the auth service from config and connected dependencies; does not listen. */
export async function buildAuthApp(config: AuthAppConfig, deps: AuthDependencies): Promise<AuthApp> {
  const kit = await createServiceAppFrom(config, deps, {
    service: 'auth',
    api: 'auth',
    description: 'Accounts, sessions and tokens. Behind the edge every path is prefixed with /api.',
    errors: authErrors,
    readiness: backendReadiness(deps),
  });
  const { app } = kit;

  await app.register(rateLimit, {
    global: false,
    redis: deps.redis,
    nameSpace: `${config.REDIS_PREFIX}rate-limit:`,
    // Limits apply after the body is parsed, so login can key on the username.
    hook: 'preHandler',
    skipOnError: true,
    errorResponseBuilder: (_request, context) =>
      new DomainError('rate_limited', `Too many attempts; retry in ${Math.ceil(context.ttl / 1000)} s`),
  });

  const { active } = deps.keyRing;
  await app.register(fastifyJwt, {
    secret: { private: active.privatePem, public: active.publicPem },
    sign: {
      algorithm: active.algorithm,
      kid: active.kid,
      iss: config.JWT_ISSUER,
      aud: config.JWT_AUDIENCE,
      expiresIn: config.ACCESS_TOKEN_TTL, // seconds
    },
  });

  const users = createUserStore(deps.mongo);
  const sessionStore = createSessionStore(deps.mongo);
  const revocation = {
    broker: deps.broker,
    list: createRevocationList(deps.redis, config.REDIS_PREFIX),
    store: sessionStore,
    accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL,
  };
  const sessions = createSessions({
    store: sessionStore,
    policy: {
      accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL,
      refreshTokenTtlSeconds: config.REFRESH_TOKEN_TTL,
    },
    signAccessToken: (claims) => app.jwt.sign(claims),
    announceRevocation: revocationAnnouncer(revocation),
    onAnnounceFailure: (err) => app.log.warn({ err }, 'revocation not announced yet; the relay will retry'),
  });
  const accounts = createAccounts({
    users,
    sessions,
    announceProfile: (user) =>
      void deps.broker
        .publish('user.updated', { user })
        .catch((err) => app.log.warn({ err, userId: user.id }, 'profile change not announced')),
    checkAvatar: createAvatarCheck(config.UPLOAD_URL || undefined),
  });

  // Auth verifies its own tokens as every other service does, but checks the session in
  // its own store (the revocation list is a copy of that, for the other services).
  const verify = createAccessTokenVerifier({
    jwks: deps.keyRing.jwks,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    revocations: null,
  });
  const bearer = requireAccessToken(verify);
  const authenticate = async (request: FastifyRequest) => {
    await bearer(request);
    await sessions.assertSessionActive(request.principal.sessionId);
  };

  authRoutes(app, {
    accounts,
    sessions,
    authenticate,
    loginFailures: createLoginFailureLimit({
      redis: deps.redis,
      keyPrefix: `${config.REDIS_PREFIX}login-failures`,
      maxFailures: config.LOGIN_ADDRESS_FAILURE_LIMIT,
      windowSeconds: config.LOGIN_ADDRESS_FAILURE_WINDOW,
    }),
    limits: {
      login: config.LOGIN_RATE_LIMIT,
      register: config.REGISTER_RATE_LIMIT,
      windowSeconds: config.RATE_LIMIT_WINDOW,
    },
  });
  userRoutes(app, { accounts, authenticate });
  jwksRoutes(app, deps.keyRing);

  await Promise.all([users.model.init(), ...sessionStore.models.map((model) => model.init())]);

  const relay = startRevocationRelay({
    ...revocation,
    intervalMs: config.RELAY_INTERVAL * 1000,
    logger: app.log as Logger,
  });
  const sessionExpiry = startSessionExpiry({
    store: sessionStore,
    intervalMs: config.SESSION_SWEEP_INTERVAL * 1000,
    logger: app.log as Logger,
  });
  const revocationList = startRevocationListKeeper({
    ...revocation,
    intervalMs: revocationListCheckMs,
    logger: app.log as Logger,
  });
  app.addHook('onClose', async () => {
    await Promise.all([relay.stop(), sessionExpiry.stop(), revocationList.stop()]);
  });

  return { ...kit, relay, sessionExpiry, revocationList };
}
