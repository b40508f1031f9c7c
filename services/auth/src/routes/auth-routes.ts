import {
  AuthResult,
  LoginBody,
  PublicUser,
  RefreshBody,
  RegisterBody,
  TokenPair,
  UpdateMeBody,
} from '@palaver/contracts';
import type { ServiceApp } from '@palaver/service-kit';
import { errorResponses, noContentResponse, thenNoContent } from '@palaver/service-kit';
import type { FastifyRequest } from 'fastify';
import type { Accounts } from '../domain/accounts.ts';
import type { LoginFailureLimit } from '../domain/login-failures.ts';
import type { Sessions } from '../domain/sessions.ts';
import { AuthError } from '../errors.ts';

export interface AuthRouteDeps {
  accounts: Accounts;
  sessions: Sessions;
  /** onRequest hook that verifies the bearer token and checks its session is live. */
  authenticate: (request: FastifyRequest) => Promise<void>;
  limits: { login: number; register: number; windowSeconds: number };
  loginFailures: LoginFailureLimit;
}

const errors = errorResponses;

const userAgentOf = (request: FastifyRequest) => request.headers['user-agent'];

// Over 80 lines as a whole: a route table, one declaration per route.
export function authRoutes(app: ServiceApp, deps: AuthRouteDeps) {
  const { accounts, sessions, authenticate, limits, loginFailures } = deps;
  const window = limits.windowSeconds * 1000;

  app.post(
    '/auth/register',
    {
      config: { rateLimit: { max: limits.register, timeWindow: window } },
      schema: {
        tags: ['auth'],
        summary: 'Create an account and a first session',
        body: RegisterBody,
        response: { 201: AuthResult, ...errors(400, 409, 429) },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await accounts.register(request.body, userAgentOf(request))),
  );

  app.post(
    '/auth/login',
    {
      config: {
        rateLimit: {
          max: limits.login,
          timeWindow: window,
          // Per client address and account: slows guessing without letting anyone lock out others.
          keyGenerator: (request: FastifyRequest) =>
            `login:${request.ip}:${String((request.body as { username?: unknown })?.username).toLowerCase()}`,
        },
      },
      schema: {
        tags: ['auth'],
        summary: 'Log in and start a session',
        body: LoginBody,
        response: { 200: AuthResult, ...errors(400, 401, 429) },
      },
    },
    async (request) => {
      await loginFailures.assertAllowed(request.ip);
      try {
        return await accounts.login(request.body, userAgentOf(request));
      } catch (error) {
        if (error instanceof AuthError && error.code === 'invalid_credentials')
          await loginFailures.recordFailure(request.ip);
        throw error;
      }
    },
  );

  app.post(
    '/auth/refresh',
    {
      config: { rateLimit: { max: limits.register * 3, timeWindow: window } },
      schema: {
        tags: ['auth'],
        summary: 'Rotate a refresh token into a new token pair',
        body: RefreshBody,
        response: { 200: TokenPair, ...errors(400, 401, 429) },
      },
    },
    async (request) => sessions.refreshSession(request.body.refreshToken),
  );

  app.post(
    '/auth/logout',
    {
      onRequest: authenticate,
      schema: {
        tags: ['auth'],
        summary: "Revoke the caller's session everywhere",
        security: [{ bearer: [] }],
        response: { ...noContentResponse, ...errors(401) },
      },
    },
    thenNoContent((request) => sessions.revokeSession(request.principal.sessionId, 'logout')),
  );

  app.get(
    '/auth/me',
    {
      onRequest: authenticate,
      schema: {
        tags: ['auth'],
        summary: "The caller's profile",
        security: [{ bearer: [] }],
        response: { 200: PublicUser, ...errors(401) },
      },
    },
    async (request) => accounts.profile(request.principal.userId),
  );

  app.patch(
    '/auth/me',
    {
      onRequest: authenticate,
      schema: {
        tags: ['auth'],
        summary:
          "Change the caller's display name, avatar (an upload made with POST /uploads/avatar), or both",
        security: [{ bearer: [] }],
        body: UpdateMeBody,
        response: { 200: PublicUser, ...errors(400, 401, 503) },
      },
    },
    async (request) =>
      accounts.updateSelf(request.principal.userId, request.body, request.headers.authorization ?? ''),
  );
}
