import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorBody } from '@palaver/contracts';
import { type Logger, loggerOptions } from '@palaver/logger';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyServerOptions,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import type { Registry } from 'prom-client';
import { type AccessTokenVerifier, requireAccessToken } from './access-tokens.ts';
import type { ErrorCatalogue } from './domain-error.ts';
import { installErrorHandling } from './error-handler.ts';
import { type HealthState, installHealth, type ReadinessCheck } from './health.ts';
import { installMetrics } from './metrics.ts';
import { installValidation } from './validation.ts';

export type ServiceApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface ServiceAppOptions {
  service: string;
  /** A pino logger to use, or a level for a new one. Tests pass 'silent'. */
  logger?: Logger | string;
  errors?: ErrorCatalogue;
  readiness?: Record<string, ReadinessCheck>;
  /** Largest accepted request body in bytes (default 64 KiB). */
  bodyLimit?: number;
  /** Trust X-Forwarded-* from the edge, so `request.ip` is the client's address. */
  trustProxy?: boolean | string;
  openapi: { title: string; version: string; description?: string; docsPath: string };
}

export interface ServiceKit {
  app: ServiceApp;
  health: HealthState;
  metrics: Registry;
}

const safeRequestId = /^[\w.:-]{1,64}$/;

/** The Fastify options every service and every test uses, so behaviour is identical. */
export function serviceFastifyOptions(options: ServiceAppOptions): FastifyServerOptions {
  const logging =
    typeof options.logger === 'object'
      ? { loggerInstance: options.logger }
      : { logger: loggerOptions(options.service, options.logger) };
  return {
    ...logging,
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    trustProxy: options.trustProxy ?? false,
    requestIdHeader: false,
    // Keep the edge's request id when it looks sane, so one id follows a request everywhere.
    genReqId: (request: IncomingMessage) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && safeRequestId.test(incoming) ? incoming : randomUUID();
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // What the router refuses before any route runs (a malformed URL, a path segment past
    // maxParamLength) answers in the one error shape too, as the edge's own errors do.
    frameworkErrors: (error, _request, reply) => {
      const body: ErrorBody = {
        error: {
          code: 'invalid_request',
          message:
            error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'A path segment is too long' : 'The URL is malformed',
        },
      };
      (reply as FastifyReply).status(error.statusCode ?? 400).send(body);
    },
  };
}

/**
 * Builds a Fastify instance with the house conventions: strict validation, one error
 * shape, request ids, health, readiness, metrics and OpenAPI. Routes are added by the
 * service afterwards; nothing listens here.
 */
export async function createServiceApp(options: ServiceAppOptions): Promise<ServiceKit> {
  const app = Fastify(serviceFastifyOptions(options)).withTypeProvider<TypeBoxTypeProvider>();
  const health: HealthState = { draining: false };

  installValidation(app);
  installErrorHandling(app, options.errors ?? {});
  // Bodies are JSON (multipart where a route registers it): a text/plain body is refused
  // with 415 like every other type, instead of reaching validation as a string.
  app.removeContentTypeParser('text/plain');
  app.addSchema(ErrorBody);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  await app.register(swagger, {
    openapi: {
      info: {
        title: options.openapi.title,
        version: options.openapi.version,
        description: options.openapi.description ?? '',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
  });
  app.get(options.openapi.docsPath, { schema: { hide: true } }, async () => app.swagger());

  installHealth(app, options.readiness ?? {}, health);
  const metrics = installMetrics(app, options.service);
  return { app, health, metrics };
}

/** What a service's app reads of its config (packages/config's listenSpec). */
export interface ServiceAppConfig {
  LOG_LEVEL: string;
  TRUST_PROXY: string;
}

export interface ServiceAppFromOptions extends Omit<ServiceAppOptions, 'logger' | 'trustProxy' | 'openapi'> {
  /** The first segment of the service's paths: its API document is `/<api>/docs/json`, "Palaver <api>". */
  api: string;
  /** What the API document says the service is for. */
  description: string;
}

/** An onRequest hook that admits only requests with a valid access token (`requireAccessToken`). */
export type Authenticate = ReturnType<typeof requireAccessToken>;

/**
 * `createServiceApp` as every service's `build…App` calls it: with the logger its server
 * passes (else, as in tests, a new one at LOG_LEVEL), trusting the edge TRUST_PROXY names,
 * and version 1 of its API document under its own path, where the edge routes it. Given
 * a token verifier, it also returns the `authenticate` hook of the service's routes.
 */
export function createServiceAppFrom(
  config: ServiceAppConfig,
  deps: { logger?: Logger | undefined; verifyAccessToken: AccessTokenVerifier },
  options: ServiceAppFromOptions,
): Promise<ServiceKit & { authenticate: Authenticate }>;
export function createServiceAppFrom(
  config: ServiceAppConfig,
  // `object &`: deps without a logger are accepted too (not a "weak type").
  deps: object & { logger?: Logger | undefined },
  options: ServiceAppFromOptions,
): Promise<ServiceKit>;
export async function createServiceAppFrom(
  config: ServiceAppConfig,
  deps: { logger?: Logger | undefined; verifyAccessToken?: AccessTokenVerifier },
  { api, description, ...options }: ServiceAppFromOptions,
): Promise<ServiceKit & { authenticate?: Authenticate }> {
  const kit = await createServiceApp({
    ...options,
    logger: deps.logger ?? config.LOG_LEVEL,
    trustProxy: config.TRUST_PROXY || false,
    openapi: { title: `Palaver ${api}`, version: '1', description, docsPath: `/${api}/docs/json` },
  });
  return deps.verifyAccessToken ? { ...kit, authenticate: requireAccessToken(deps.verifyAccessToken) } : kit;
}

/** A route's error responses: each status answers the shared error shape (`ErrorBody`). */
export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [status, { $ref: 'ErrorBody#' }]));
