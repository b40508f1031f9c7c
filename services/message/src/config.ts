import { duration, loadConfig, mongoUrl, num, port, str, url } from '@palaver/config';

export const messageConfigSpec = {
  HOST: str({ default: '127.0.0.1' }),
  PORT: port({ default: 4002 }),
  LOG_LEVEL: str({
    default: 'info',
    choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
  }),
  TRUST_PROXY: str({ default: '' }),
  MONGO_URL: mongoUrl({
    desc: 'MongoDB connection string naming the database; several hosts for a replica set',
  }),
  AMQP_URL: url(),
  BROKER_EXCHANGE: str({ default: 'palaver.events' }),
  QUEUE_PREFIX: str({ default: 'palaver.message' }),
  JWKS_URL: url({ desc: "The auth service's JWKS, e.g. http://127.0.0.1:4001/auth/.well-known/jwks.json" }),
  JWT_ISSUER: str({ default: 'palaver-auth' }),
  JWT_AUDIENCE: str({ default: 'palaver' }),
  SEND_BATCH_MAX: num({ default: 256, desc: 'Most sends stored by one insertMany; 1 stores one by one' }),
  SEND_BATCH_WINDOW_MS: num({ default: 2, desc: 'How long a send may wait for others to share its write' }),
  RELAY_INTERVAL: duration({ default: 10, desc: 'How often events stored as unpublished are retried' }),
};

export type MessageConfig = ReturnType<typeof loadMessageConfig>;

export function loadMessageConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(messageConfigSpec, env);
}
