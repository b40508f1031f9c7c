import { backendVariables, type IsolatedEnvironment } from '@palaver/testing/isolated-names';

// No vitest here: the gateway benchmarks deploy the same stack.

/** The message service behind the gateways: its queues under `.message`, sends unmetered. */
export const messageServiceVariables = (env: IsolatedEnvironment, jwksUrl: string) => ({
  ...backendVariables(env, 'message'),
  JWKS_URL: jwksUrl,
  SEND_RATE: '1000000',
  SEND_BURST: '1000000',
});

/** A gateway replica: presence and the socket adapter under the Redis prefix, its queues under `.gateway`. */
export const gatewayVariables = (
  env: IsolatedEnvironment,
  replicaId: string,
  servers: { messageUrl: string; jwksUrl: string },
) => ({
  ...backendVariables(env, 'gateway'),
  REPLICA_ID: replicaId,
  ADAPTER_CHANNEL_PREFIX: `${env.redisPrefix}sio`,
  MESSAGE_URL: servers.messageUrl,
  JWKS_URL: servers.jwksUrl,
});
