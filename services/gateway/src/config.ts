import { hostname } from 'node:os';
import {
  brokerSpec,
  ConfigError,
  duration,
  listenSpec,
  loadConfig,
  num,
  redisSpec,
  str,
  tokenVerifierSpec,
  url,
} from '@palaver/config';
import { maxGroupMembers } from '@palaver/contracts';

export const gatewayConfigSpec = {
  ...listenSpec(4004),
  REPLICA_ID: str({
    default: `${hostname()}-${process.pid}`,
    desc: 'Names this replica in Redis presence keys and broker queues; unique per running replica',
  }),
  ...redisSpec,
  ADAPTER_CHANNEL_PREFIX: str({ default: 'socket.io', desc: "Socket.IO Redis adapter's channel prefix" }),
  ADAPTER_SUBSCRIPTIONS: str({
    default: 'static',
    choices: ['static', 'dynamic'],
    desc: 'static: every replica reads one adapter channel; dynamic: a channel per room, subscribed while the replica has a socket in it (each connect and disconnect subscribes and unsubscribes its rooms)',
  }),
  ...brokerSpec('palaver.gateway'),
  FANOUT: str({
    default: 'replica-queue',
    choices: ['replica-queue', 'shared-queue'],
    desc: 'replica-queue: every replica consumes every event and emits to its own sockets; shared-queue: replicas compete for events and broadcast through the Redis adapter',
  }),
  MESSAGE_URL: url({ desc: "The message service's base URL, e.g. http://127.0.0.1:4002" }),
  MESSAGE_CONNECTIONS: num({
    default: 64,
    desc: 'Most connections this replica keeps open to the message service; calls beyond them wait their turn',
  }),
  ...tokenVerifierSpec,
  CORS_ORIGIN: str({ default: '', desc: 'Comma-separated browser origins allowed to connect directly' }),
  MAX_PAYLOAD_BYTES: num({ default: 64 * 1024, desc: 'Largest socket frame accepted' }),
  EVENT_RATE: num({ default: 20, desc: 'Client events per second one socket may sustain (sync costs more)' }),
  EVENT_BURST: num({ default: 60, desc: 'Client events one socket may send at once' }),
  SOCKET_PING_INTERVAL: duration({
    default: 10,
    desc: 'How often the gateway pings each socket (Engine.IO pingInterval); shorter finds a dead network sooner but costs a ping and a pong per socket per interval',
  }),
  SOCKET_PING_TIMEOUT: duration({
    default: 5,
    desc: 'A socket that leaves a ping unanswered this long is closed (Engine.IO pingTimeout); its user goes offline if it was the last',
  }),
  MAX_SOCKETS_PER_USER: num({
    default: 10,
    desc: 'Live sockets one user may hold across all replicas; more are refused (too_many_connections)',
  }),
  PRESENCE_HEARTBEAT: duration({ default: 5, desc: 'How often a replica renews its heartbeat' }),
  PRESENCE_TIMEOUT: duration({
    default: 20,
    desc: 'A replica silent this long is presumed dead and its sockets are reaped',
  }),
  PRESENCE_MAX_GROUP: num({
    default: 100,
    desc: 'Members of groups up to this size see each other online; larger groups show no presence',
  }),
  CONTACTS_CACHE_TTL: duration({
    default: 300,
    desc: "How long a user's contacts (whose presence they see) stay cached in Redis for every replica; any change to them ends the entry at once",
  }),
  TYPING_TTL: duration({ default: 6, desc: 'Typing stops by itself after this long without a renewal' }),
  TYPING_THROTTLE_MS: num({ default: 2000, desc: 'Least time between relayed typing:true per conversation' }),
  SYNC_PAGE: num({ default: 100, desc: 'Most messages sync returns per conversation before hasMore' }),
  REPLICA_QUEUE_EXPIRY: duration({
    default: 60,
    desc: "With FANOUT=replica-queue: how long the broker keeps a replica's queue without a consumer",
  }),
  DRAIN_TIMEOUT: duration({
    default: 10,
    desc: 'On SIGTERM, time given to clients to move to other replicas',
  }),
};

export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;

export function loadGatewayConfig(env: Record<string, string | undefined> = process.env) {
  const config = loadConfig(gatewayConfigSpec, env);
  if (config.PRESENCE_MAX_GROUP < 2 || config.PRESENCE_MAX_GROUP > maxGroupMembers) {
    throw new ConfigError(`invalid configuration: PRESENCE_MAX_GROUP must be 2–${maxGroupMembers}`);
  }
  if (config.SOCKET_PING_INTERVAL < 1 || config.SOCKET_PING_TIMEOUT < 1) {
    throw new ConfigError(
      'invalid configuration: SOCKET_PING_INTERVAL and SOCKET_PING_TIMEOUT must be at least 1s',
    );
  }
  if (config.PRESENCE_TIMEOUT <= config.PRESENCE_HEARTBEAT) {
    throw new ConfigError('invalid configuration: PRESENCE_TIMEOUT must be longer than PRESENCE_HEARTBEAT');
  }
  return config;
}
