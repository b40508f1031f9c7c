import { CommonErrorCodes, type ErrorBody } from '@palaver/contracts';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { DomainError, type ErrorCatalogue } from './domain-error.ts';

const codeForStatus: Record<number, string> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'unavailable',
};

// Driver errors that mean "the database is not reachable right now", not "a bug".
const unavailableErrorNames = new Set([
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  // Every pooled connection stayed busy for the whole wait (connect-backends.ts): overloaded.
  'MongoWaitQueueTimeoutError',
]);

/**
 * FerretDB answers every command with InternalError (code 1) while its PostgreSQL or
 * SQLite backend is unreachable; only the message tells that from a real bug.
 */
const storeBackendDown = (error: FastifyError & { code?: unknown }) =>
  error.name === 'MongoServerError' &&
  (error.code as unknown) === 1 &&
  /failed to connect|dial error|connection refused/i.test(error.message);

function send(reply: FastifyReply, status: number, error: ErrorBody['error']) {
  return reply.status(status).send({ error } satisfies ErrorBody);
}

/** Installs the one error shape for every failure, including 404s and validation. */
export function installErrorHandling(app: FastifyInstance, catalogue: ErrorCatalogue) {
  const statusByCode: Record<string, number> = { ...CommonErrorCodes, ...catalogue };

  app.setNotFoundHandler((request, reply) =>
    send(reply, 404, {
      code: 'not_found',
      message: `No route for ${request.method} ${request.url.split('?')[0]}`,
    }),
  );

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof DomainError) {
      const status = statusByCode[error.code] ?? 500;
      // Shedding load is expected and can come thousands of times a second: not an error.
      if (status >= 500 && error.retryAfterSeconds === undefined)
        request.log.error({ err: error }, 'domain error mapped to 5xx');
      const body: ErrorBody['error'] = { code: error.code, message: error.message };
      if (error.details !== undefined) body.details = error.details;
      if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
      return send(reply, status, body);
    }
    if (error.validation) {
      const details = error.validation.map((issue) => ({
        field: `${error.validationContext ?? 'body'}${issue.instancePath}`,
        message: issue.message ?? 'is invalid',
        ...(issue.keyword === 'additionalProperties'
          ? { property: (issue.params as { additionalProperty?: string }).additionalProperty }
          : {}),
      }));
      return send(reply, 400, { code: 'invalid_request', message: 'The request is invalid', details });
    }
    // Mongoose reports a closed or never-opened connection as a plain MongooseError.
    const mongooseDisconnected =
      error.name === 'MongooseError' && /connection|buffering timed out/i.test(error.message);
    if (unavailableErrorNames.has(error.name) || mongooseDisconnected || storeBackendDown(error)) {
      request.log.warn({ err: error }, 'dependency unavailable');
      reply.header('retry-after', '1');
      return send(reply, 503, {
        code: 'unavailable',
        message: 'A dependency is unavailable; try again shortly',
      });
    }
    const status = error.statusCode ?? 500;
    if (status < 500 && codeForStatus[status]) {
      if (status === 429 && error.message)
        return send(reply, 429, { code: 'rate_limited', message: error.message });
      return send(reply, status, { code: codeForStatus[status] as string, message: error.message });
    }
    request.log.error({ err: error }, 'unhandled error');
    // 5xx details stay in the log: clients learn only that it failed and the request id.
    return send(reply, status >= 500 && status !== 503 ? 500 : status, {
      code: status === 503 ? 'unavailable' : 'internal',
      message: `Internal error (request ${request.id})`,
    });
  });
}
