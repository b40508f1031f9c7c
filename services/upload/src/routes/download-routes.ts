import { UploadLinkQuery, UploadParams, type UploadVariant } from '@palaver/contracts';
import type { ServiceApp } from '@palaver/service-kit';
import { errorResponses } from '@palaver/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { resolveRange } from '../domain/byte-ranges.ts';
import { describeDownload, type UploadAccess } from '../domain/upload-access.ts';
import { UploadError, uploadNotFound } from '../errors.ts';
import { BlobMissingError, type BlobStore } from '../store/blob-store.ts';
import type { UploadMetrics } from '../upload-metrics.ts';

const errors = errorResponses(400, 401, 403, 404, 416, 503);

/** Content never changes under an id; the cache is the reader's own (links are personal). */
const cacheControl = 'private, max-age=86400, immutable';

const etagMatches = (header: string | undefined, etag: string) =>
  header !== undefined &&
  (header.trim() === '*' || header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag));

// Over 80 lines as a whole: a route table, one declaration per route.
export function downloadRoutes(
  app: ServiceApp,
  deps: {
    access: UploadAccess;
    blobs: BlobStore;
    metrics: UploadMetrics;
    authenticate: (request: FastifyRequest) => Promise<void>;
  },
) {
  const { access, blobs, metrics } = deps;

  async function serve(request: FastifyRequest, reply: FastifyReply, variant: UploadVariant) {
    const { id } = request.params as { id: string };
    const { reader, expires, sig } = request.query as UploadLinkQuery;
    let record: Awaited<ReturnType<UploadAccess['forUser']>>;
    if (reader !== undefined || expires !== undefined || sig !== undefined) {
      if (reader === undefined || expires === undefined || sig === undefined) {
        throw new UploadError('invalid_signature', 'The link is invalid or has expired');
      }
      record = await access.forSignature(id, variant, { reader, expires, sig });
    } else {
      await deps.authenticate(request);
      record = await access.forUser(id, request.principal.userId);
    }

    const { blob, disposition } = describeDownload(record, variant);
    const etag = `"${blob.sha256}"`;
    reply.header('etag', etag);
    reply.header('cache-control', cacheControl);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('accept-ranges', 'bytes');
    if (etagMatches(request.headers['if-none-match'], etag)) return reply.status(304).send();

    reply.header('content-type', blob.mime);
    reply.header('content-disposition', disposition);
    // A stale If-Range means the client's partial copy is of other bytes: send it all.
    const ifRange = request.headers['if-range'];
    const rangeHeader = ifRange === undefined || ifRange === etag ? request.headers.range : undefined;
    const answer = resolveRange(rangeHeader, blob.size);
    if (answer.kind === 'unsatisfiable') {
      reply.header('content-range', `bytes */${blob.size}`);
      throw new UploadError('range_not_satisfiable', `The file has ${blob.size} bytes`);
    }
    const range = answer.kind === 'partial' ? answer.range : undefined;
    const length = range ? range.end - range.start + 1 : blob.size;
    let stream: Awaited<ReturnType<BlobStore['open']>>;
    try {
      stream = await blobs.open(blob.sha256, range);
    } catch (error) {
      if (!(error instanceof BlobMissingError)) throw error;
      // The record outlived its bytes: lost data, for an operator to look at; the
      // client sees what any missing upload looks like.
      request.log.error({ err: error, uploadId: id, variant, sha256: blob.sha256 }, 'upload blob missing');
      throw uploadNotFound();
    }
    stream.once('end', () => metrics.served.inc({ variant }, length));
    reply.header('content-length', length);
    if (range) {
      reply.status(206).header('content-range', `bytes ${range.start}-${range.end}/${blob.size}`);
    }
    return reply.send(stream);
  }

  const security: Array<Record<string, string[]>> = [{ bearer: [] }, {}];
  const schema = (summary: string) => ({
    tags: ['uploads'],
    summary,
    description:
      'With `reader`, `expires` and `sig` from a signed link no token is needed (the reader must still have access); otherwise a bearer token is.',
    security,
    params: UploadParams,
    querystring: UploadLinkQuery,
    response: errors,
  });

  app.get(
    '/uploads/:id',
    { schema: schema('The file: inline for safe images, a download otherwise; supports Range') },
    (request, reply) => serve(request, reply, 'original'),
  );
  app.get('/uploads/:id/thumbnail', { schema: schema('A WebP thumbnail of an image') }, (request, reply) =>
    serve(request, reply, 'thumbnail'),
  );
}
