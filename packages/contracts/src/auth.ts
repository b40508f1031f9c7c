import { type Static, Type } from '@sinclair/typebox';
import {
  maxDisplayNameLength,
  maxPasswordLength,
  maxRefreshTokenLength,
  maxUserLookup,
  maxUsernameLength,
  maxUsernameLookup,
  maxUserSearchQueryLength,
  minPasswordLength,
  minRefreshTokenLength,
  minUsernameLength,
  pageLimits,
} from './limits.ts';
import { DisplayText, IsoDateTime, ObjectIdString, PageLimit, SearchText } from './primitives.ts';

/** Usernames are compared and stored in lower case, so `Alice` and `alice` are one name. */
export const Username = Type.String({
  minLength: minUsernameLength,
  maxLength: maxUsernameLength,
  pattern: '^[A-Za-z0-9_.-]+$',
  description: `${minUsernameLength}–${maxUsernameLength} characters of a–z, 0–9, \`_\`, \`.\`, \`-\`; case-insensitive`,
});
/** The upper bound caps hashing cost per request. */
export const Password = Type.String({ minLength: minPasswordLength, maxLength: maxPasswordLength });
export const DisplayName = DisplayText(maxDisplayNameLength);

/**
 * A profile picture: an upload made as an avatar (`POST /uploads/avatar`), which every
 * signed-in user may read. By id, not by link: signed links expire within minutes, so
 * clients resolve the id through the upload service (`GET /uploads/:id/meta`).
 */
export const AvatarRef = Type.Object(
  { uploadId: ObjectIdString },
  { additionalProperties: false, description: 'Show its `thumbnail` variant (square WebP)' },
);
export type AvatarRef = Static<typeof AvatarRef>;

export const PublicUser = Type.Object(
  {
    id: ObjectIdString,
    username: Type.String(),
    displayName: Type.String(),
    avatar: Type.Union([AvatarRef, Type.Null()], { description: 'null: initials on a colour' }),
    createdAt: IsoDateTime,
  },
  { $id: 'PublicUser', additionalProperties: false },
);
export type PublicUser = Static<typeof PublicUser>;

export const RegisterBody = Type.Object(
  { username: Username, password: Password, displayName: DisplayName },
  { additionalProperties: false },
);
export type RegisterBody = Static<typeof RegisterBody>;

export const LoginBody = Type.Object(
  { username: Username, password: Password },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBody>;

export const RefreshToken = Type.String({
  minLength: minRefreshTokenLength,
  maxLength: maxRefreshTokenLength,
});

export const RefreshBody = Type.Object({ refreshToken: RefreshToken }, { additionalProperties: false });
export type RefreshBody = Static<typeof RefreshBody>;

export const TokenPair = Type.Object({
  accessToken: Type.String(),
  /** Seconds until the access token expires. */
  expiresIn: Type.Integer(),
  refreshToken: Type.String(),
});
export type TokenPair = Static<typeof TokenPair>;

export const AuthResult = Type.Object(
  { user: PublicUser, ...TokenPair.properties },
  { $id: 'AuthResult', additionalProperties: false },
);
export type AuthResult = Static<typeof AuthResult>;

/** Either or both; `avatarUploadId: null` removes the avatar. */
export const UpdateMeBody = Type.Object(
  {
    displayName: Type.Optional(DisplayName),
    avatarUploadId: Type.Optional(
      Type.Union([ObjectIdString, Type.Null()], {
        description: 'An upload of the caller made with `POST /uploads/avatar`; null removes it',
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateMeBody = Static<typeof UpdateMeBody>;

export const UserSearchQuery = Type.Object(
  {
    q: Type.Optional(SearchText(maxUserSearchQueryLength)),
    limit: Type.Optional(PageLimit(pageLimits.users)),
    /** The last username of the previous page. */
    cursor: Type.Optional(Type.String({ maxLength: maxUsernameLength, pattern: '^[a-z0-9_.-]+$' })),
  },
  { additionalProperties: false },
);
export type UserSearchQuery = Static<typeof UserSearchQuery>;

export const UserPage = Type.Object(
  { users: Type.Array(PublicUser), nextCursor: Type.Union([Type.String(), Type.Null()]) },
  { additionalProperties: false },
);
export type UserPage = Static<typeof UserPage>;

export const UserIdParams = Type.Object({ id: ObjectIdString }, { additionalProperties: false });

export const UserLookupBody = Type.Object(
  {
    ids: Type.Optional(
      Type.Array(ObjectIdString, { minItems: 1, maxItems: maxUserLookup, uniqueItems: true }),
    ),
    usernames: Type.Optional(
      Type.Array(Username, { minItems: 1, maxItems: maxUsernameLookup, uniqueItems: true }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UserLookupBody = Static<typeof UserLookupBody>;

export const UserList = Type.Object({ users: Type.Array(PublicUser) }, { additionalProperties: false });
export type UserList = Static<typeof UserList>;

export const Jwks = Type.Object({
  keys: Type.Array(
    Type.Object({
      kid: Type.String(),
      kty: Type.String(),
      alg: Type.String(),
      use: Type.String(),
      crv: Type.Optional(Type.String()),
      x: Type.Optional(Type.String()),
      y: Type.Optional(Type.String()),
    }),
  ),
});
export type Jwks = Static<typeof Jwks>;
