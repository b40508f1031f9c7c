import {
  brokerConnectionSpec,
  duration,
  listenSpec,
  loadConfig,
  mongoSpec,
  num,
  redisSpec,
  str,
  tokenClaimsSpec,
} from '@palaver/config';

export const authConfigSpec = {
  ...listenSpec(4001),
  ...mongoSpec,
  ...redisSpec,
  ...brokerConnectionSpec,
  JWT_KEYS_DIR: str({ desc: 'Folder of <kid>.pem keys: private keys sign, public-only keys still verify' }),
  JWT_ACTIVE_KID: str({
    default: '',
    desc: 'Key id that signs new tokens (required with several private keys)',
  }),
  ...tokenClaimsSpec,
  ACCESS_TOKEN_TTL: duration({ default: 15 * 60 }),
  REFRESH_TOKEN_TTL: duration({ default: 30 * 86400 }),
  LOGIN_RATE_LIMIT: num({ default: 10, desc: 'Login attempts per client address and username per window' }),
  REGISTER_RATE_LIMIT: num({
    default: 20,
    desc: 'Registrations and refreshes per client address per window',
  }),
  RATE_LIMIT_WINDOW: duration({ default: 60 }),
  LOGIN_ADDRESS_FAILURE_LIMIT: num({
    default: 50,
    desc: 'Failed logins per client address, across usernames, per LOGIN_ADDRESS_FAILURE_WINDOW',
  }),
  LOGIN_ADDRESS_FAILURE_WINDOW: duration({ default: 3600 }),
  RELAY_INTERVAL: duration({ default: 5 }),
  UPLOAD_URL: str({
    default: '',
    desc: 'The upload service, asked (with the caller’s token) whether an avatar upload is theirs; empty: avatars are refused',
  }),
  SESSION_SWEEP_INTERVAL: duration({
    default: 3600,
    desc: 'How often expired sessions and refresh tokens are deleted',
  }),
};

export type AuthConfig = ReturnType<typeof loadAuthConfig>;

export function loadAuthConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(authConfigSpec, env);
}
