import { type Static, Type } from '@sinclair/typebox';
import { IsoDateTime, ObjectIdString } from './primitives.ts';

/**
 * What an upload is for. An `attachment` is read by its uploader and the members of the
 * conversations it is sent in; an `avatar` (an image, with a square thumbnail) by anyone
 * signed in, because a profile is shown to everyone.
 */
export const UploadPurpose = Type.Union([Type.Literal('attachment'), Type.Literal('avatar')]);
export type UploadPurpose = Static<typeof UploadPurpose>;

/** A stored file as its uploader and the people it was sent to see it. */
export const Upload = Type.Object(
  {
    id: ObjectIdString,
    uploaderId: ObjectIdString,
    purpose: UploadPurpose,
    name: Type.String({ description: 'Sanitised file name, for display and downloads only' }),
    mime: Type.String({ description: 'Detected from the content, never taken from the client' }),
    size: Type.Integer({ minimum: 0 }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'Hex SHA-256 of the uploaded bytes' }),
    width: Type.Optional(Type.Integer({ minimum: 1 })),
    height: Type.Optional(Type.Integer({ minimum: 1 })),
    /** Signed, short-lived: usable without a bearer token (e.g. in `<img src>`). */
    url: Type.String(),
    thumbnailUrl: Type.Optional(Type.String()),
    createdAt: IsoDateTime,
  },
  { $id: 'Upload', additionalProperties: false },
);
export type Upload = Static<typeof Upload>;

export const UploadList = Type.Object({ uploads: Type.Array(Upload) }, { additionalProperties: false });
export type UploadList = Static<typeof UploadList>;

export const UploadVariant = Type.Union([Type.Literal('original'), Type.Literal('thumbnail')]);
export type UploadVariant = Static<typeof UploadVariant>;

export const UploadParams = Type.Object({ id: ObjectIdString }, { additionalProperties: false });

/** A signed link: `reader`, `expires` (unix seconds) and `sig` (HMAC-SHA256, base64url); all or none. */
export const UploadLinkQuery = Type.Object(
  {
    reader: Type.Optional(ObjectIdString),
    expires: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 40 })),
    sig: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' })),
  },
  { additionalProperties: false },
);
export type UploadLinkQuery = Static<typeof UploadLinkQuery>;

/** In the query, so the POST needs no body. */
export const SignedUrlQuery = Type.Object(
  { variant: Type.Optional(UploadVariant) },
  { additionalProperties: false },
);
export type SignedUrlQuery = Static<typeof SignedUrlQuery>;

export const SignedUrl = Type.Object(
  { url: Type.String(), expiresAt: IsoDateTime },
  { additionalProperties: false },
);
export type SignedUrl = Static<typeof SignedUrl>;
