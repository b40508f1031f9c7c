import {
  maxAvatarBytes,
  SignedUrl,
  SignedUrlQuery,
  Upload,
  UploadList,
  UploadParams,
  type UploadPurpose,
} from '@palaver/contracts';
import type { ServiceApp } from '@palaver/service-kit';
import { errorResponses } from '@palaver/service-kit';
import type { FastifyRequest } from 'fastify';
import type { UploadAccess } from '../domain/upload-access.ts';
import type { IncomingFile, UploadIntake } from '../domain/upload-intake.ts';
import type { UploadRateLimit } from '../domain/upload-rate-limit.ts';
import { type Links, toUpload } from '../domain/views.ts';
import { UploadError } from '../errors.ts';

const errors = errorResponses(400, 401, 403, 404, 413, 415, 429, 503);
const secured = { tags: ['uploads'], security: [{ bearer: [] }] };

// @fastify/multipart reports limits with its own error codes; these are ours.
const multipartErrors: Record<string, () => UploadError> = {
  FST_REQ_FILE_TOO_LARGE: () => new UploadError('file_too_large', 'A file is too large'),
  FST_FILES_LIMIT: () => new UploadError('too_many_files', 'Too many files in one request'),
  FST_PARTS_LIMIT: () => new UploadError('too_many_files', 'Too many parts in one request'),
  FST_FIELDS_LIMIT: () => new UploadError('too_many_files', 'Too many fields in one request'),
  FST_PROTO_VIOLATION: () => new UploadError('invalid_request', 'Invalid multipart field name'),
};

/** The files of a multipart request as they arrive, nothing buffered. */
async function* filesOf(
  request: FastifyRequest,
  limits: { maxFileSize: number; maxFiles: number },
): AsyncGenerator<IncomingFile> {
  try {
    // One byte over the limit reaches the intake, which refuses it with its own error.
    const parts = request.files({
      limits: {
        fileSize: limits.maxFileSize + 1,
        files: limits.maxFiles,
        fields: 20,
        parts: limits.maxFiles + 20,
      },
    });
    for await (const part of parts) yield { stream: part.file, filename: part.filename };
  } catch (error) {
    throw asUploadError(error);
  }
}

function asUploadError(error: unknown) {
  const mapped = multipartErrors[(error as { code?: string }).code ?? ''];
  if (mapped) return mapped();
  // A body cut short (the part stream closes without ending) or not shaped as multipart.
  if (
    (error as { code?: string }).code === 'ERR_STREAM_PREMATURE_CLOSE' ||
    /terminated early|Unexpected end of|Malformed|boundary/i.test((error as Error).message ?? '')
  ) {
    return new UploadError('invalid_request', 'The multipart body is malformed');
  }
  return error;
}

// Over 80 lines as a whole: a route table, one declaration per route.
export function uploadRoutes(
  app: ServiceApp,
  deps: {
    intake: UploadIntake;
    access: UploadAccess;
    links: Links;
    authenticate: (request: FastifyRequest) => Promise<void>;
    /** Upload requests per user; taken before the body is read. */
    rateLimit: UploadRateLimit;
    limits: { maxFileSize: number; maxFiles: number };
  },
) {
  const { intake, access, links } = deps;
  // Before the body is read or validated: an unauthenticated caller costs no parsing and learns nothing.
  const onRequest = deps.authenticate;

  const receive = async (request: FastifyRequest, purpose: UploadPurpose, maxFiles: number) => {
    if (!request.isMultipart()) {
      throw new UploadError('unsupported_media_type', 'Send files as multipart/form-data');
    }
    const records = await intake
      .accept(filesOf(request, { ...deps.limits, maxFiles }), request.principal.userId, purpose)
      .catch((error) => {
        throw asUploadError(error);
      });
    return records.map((record) => toUpload(record, links, request.principal.userId));
  };
  const intakeHooks = [onRequest, (request: FastifyRequest) => deps.rateLimit.take(request.principal.userId)];

  app.post(
    '/uploads',
    {
      onRequest: intakeHooks,
      schema: {
        ...secured,
        summary: 'Upload one or more files (multipart/form-data); 201 with one entry per file',
        consumes: ['multipart/form-data'],
        response: { 201: UploadList, ...errors },
      },
    },
    async (request, reply) =>
      reply.status(201).send({ uploads: await receive(request, 'attachment', deps.limits.maxFiles) }),
  );

  app.post(
    '/uploads/avatar',
    {
      onRequest: intakeHooks,
      schema: {
        ...secured,
        summary: `Upload a profile picture: one PNG, JPEG, WebP or GIF of at most ${maxAvatarBytes} bytes, readable by every signed-in user, with a square thumbnail; set it with PATCH /auth/me`,
        consumes: ['multipart/form-data'],
        response: { 201: Upload, ...errors },
      },
    },
    async (request, reply) => {
      // Exactly one: the intake refuses an empty request, the part limit a second file.
      const [upload] = await receive(request, 'avatar', 1);
      return reply.status(201).send(upload as Upload);
    },
  );

  app.get(
    '/uploads/:id/meta',
    {
      onRequest,
      schema: {
        ...secured,
        summary: "An upload's metadata with fresh signed links",
        params: UploadParams,
        response: { 200: Upload, ...errors },
      },
    },
    async (request) => {
      const { userId } = request.principal;
      return toUpload(await access.forUser(request.params.id, userId), links, userId);
    },
  );

  app.post(
    '/uploads/:id/signed-url',
    {
      onRequest,
      schema: {
        ...secured,
        summary: 'A short-lived link that opens the file (or its thumbnail) without a bearer token',
        params: UploadParams,
        querystring: SignedUrlQuery,
        response: { 200: SignedUrl, ...errors },
      },
    },
    async (request) => {
      const record = await access.forUser(request.params.id, request.principal.userId);
      const variant = request.query.variant ?? 'original';
      if (variant === 'thumbnail' && !record.thumbnail) {
        throw new UploadError('not_found', 'This upload has no thumbnail');
      }
      const link = links(request.params.id, variant, request.principal.userId);
      return { url: link.url, expiresAt: link.expiresAt.toISOString() };
    },
  );
}
