import type { Broker } from '@palaver/events';
import type { Logger } from '@palaver/logger';
import { type AccessTokenVerifier, createServiceAppFrom, type ServiceKit } from '@palaver/service-kit';
import { createShardedAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import { Server } from 'socket.io';
import type { MessageApi } from './clients/message-api.ts';
import type { GatewayConfig } from './config.ts';
import { deliveryQueue } from './delivery/delivery-queue.ts';
import { localEventClaims, sharedEventClaims } from './delivery/event-claims.ts';
import { createEventFanout, type FanoutMode, fanoutScope } from './delivery/event-fanout.ts';
import { createGatewayMetrics } from './gateway-metrics.ts';
import { createContactsCache } from './presence/contacts-cache.ts';
import { createPresenceAnnouncer } from './presence/presence-announcer.ts';
import { createPresenceAudience } from './presence/presence-audience.ts';
import { startPresenceKeeper } from './presence/presence-keeper.ts';
import { createPresenceRegistry } from './presence/presence-registry.ts';
import { createReplicaPresence } from './presence/replica-presence.ts';
import { handleConnections } from './realtime/connection-lifecycle.ts';
import { drainReplica } from './realtime/drain.ts';
import { authenticateHandshake, limitSocketsPerUser } from './realtime/handshake.ts';
import { createMemberDirectory } from './realtime/member-directory.ts';
import { type GatewayServer, watchedUser } from './realtime/rooms.ts';

export type GatewayAppConfig = Pick<
  GatewayConfig,
  | 'LOG_LEVEL'
  | 'TRUST_PROXY'
  | 'REPLICA_ID'
  | 'ADAPTER_CHANNEL_PREFIX'
  | 'ADAPTER_SUBSCRIPTIONS'
  | 'QUEUE_PREFIX'
  | 'FANOUT'
  | 'REPLICA_QUEUE_EXPIRY'
  | 'CORS_ORIGIN'
  | 'MAX_PAYLOAD_BYTES'
  | 'EVENT_RATE'
  | 'EVENT_BURST'
  | 'MAX_SOCKETS_PER_USER'
  | 'SOCKET_PING_INTERVAL'
  | 'SOCKET_PING_TIMEOUT'
  | 'PRESENCE_HEARTBEAT'
  | 'PRESENCE_TIMEOUT'
  | 'PRESENCE_MAX_GROUP'
  | 'CONTACTS_CACHE_TTL'
  | 'TYPING_TTL'
  | 'TYPING_THROTTLE_MS'
  | 'SYNC_PAGE'
>;

export interface GatewayDependencies {
  /** Presence and rate-limit keys (with the key prefix applied by the client). */
  redis: Redis;
  /** Two connections for the Socket.IO adapter: one publishes, one subscribes. */
  adapterPub: Redis;
  adapterSub: Redis;
  broker: Broker;
  verifyAccessToken: AccessTokenVerifier;
  messageApi: MessageApi;
  logger?: Logger;
}

export interface GatewayApp extends ServiceKit {
  io: GatewayServer;
  /** Moves clients to other replicas (they reconnect) and then drops its presence, within the timeout. */
  drain(timeoutMs: number): Promise<void>;
}

// Over 80 lines as a whole: wiring only, one step per part, read top to bottom.
/** Builds one gateway replica: HTTP (health, metrics) and Socket.IO on the same server. */
export async function buildGatewayApp(
  config: GatewayAppConfig,
  deps: GatewayDependencies,
): Promise<GatewayApp> {
  const kit = await createServiceAppFrom(config, deps, {
    service: 'gateway',
    api: 'gateway',
    description: 'Operational endpoints only; the realtime API is Socket.IO (docs/events.md).',
    readiness: {
      redis: () => deps.redis.ping(),
      adapter: () => deps.adapterPub.ping(),
      broker: () => deps.broker.check(),
    },
  });
  const { app, health } = kit;
  const logger = app.log as Logger;
  const origins = config.CORS_ORIGIN.split(',').filter(Boolean);

  const io: GatewayServer = new Server(app.server, {
    path: '/socket.io',
    serveClient: false,
    maxHttpBufferSize: config.MAX_PAYLOAD_BYTES,
    // A silently dead network is noticed within interval + timeout (docs/operations.md#gateway).
    pingInterval: config.SOCKET_PING_INTERVAL * 1000,
    pingTimeout: config.SOCKET_PING_TIMEOUT * 1000,
    adapter: createShardedAdapter(deps.adapterPub, deps.adapterSub, {
      channelPrefix: config.ADAPTER_CHANNEL_PREFIX,
      subscriptionMode: config.ADAPTER_SUBSCRIPTIONS as 'dynamic' | 'static',
    }),
    ...(origins.length > 0 ? { cors: { origin: origins, credentials: false } } : {}),
  });

  // Engine.IO keeps each connection's initial HTTP request (headers, socket, buffers) for
  // the socket's lifetime; nothing here needs it after the handshake. Besides the socket's
  // own reference, a websocket upgrade's response object keeps it through a close listener
  // on the TCP socket, out of reach: emptied, it costs a bare object instead of ~2 KB a
  // socket. A long-polling handshake's request is still being answered: only dropped.
  io.engine.on('connection', (rawSocket: { request?: object; transport?: { name?: string } }) => {
    const request = rawSocket.request as Record<string | symbol, unknown> | undefined;
    rawSocket.request = undefined;
    if (request && rawSocket.transport?.name === 'websocket')
      for (const key of Reflect.ownKeys(request)) delete request[key];
  });

  const fanoutMode = config.FANOUT as FanoutMode;
  const queue = deliveryQueue({
    mode: fanoutMode,
    queuePrefix: config.QUEUE_PREFIX,
    replicaId: config.REPLICA_ID,
    expiryMs: config.REPLICA_QUEUE_EXPIRY * 1000,
  });
  const metrics = createGatewayMetrics(kit.metrics, {
    connectedSockets: () => io.of('/').sockets.size,
    queueDepth: () => deps.broker.queueDepth(queue.name),
  });
  const presence = createPresenceRegistry({
    redis: deps.redis,
    replicaId: config.REPLICA_ID,
    timeoutMs: config.PRESENCE_TIMEOUT * 1000,
  });
  const announcer = createPresenceAnnouncer(io, metrics);
  const replicaPresence = createReplicaPresence({
    registry: presence,
    announcer,
    localSockets: function* () {
      for (const socket of io.of('/').sockets.values())
        yield { userId: socket.data.userId, socketId: socket.id };
    },
    canAnnounce: () => deps.adapterPub.status === 'ready' && deps.adapterSub.status === 'ready',
    watchedUsers: function* () {
      for (const room of io.of('/').adapter.rooms.keys()) {
        const userId = watchedUser(room);
        if (userId) yield userId;
      }
    },
    logger,
  });
  // Membership changes refresh the cache on the replicas that see the event: all of them
  // with a queue per replica, only one with a shared queue — so there it is not cached.
  const members = createMemberDirectory(deps.messageApi, config.FANOUT === 'replica-queue' ? 60_000 : 0);
  const isDraining = () => health.draining;

  // A replica restarting under the same REPLICA_ID (a container restart) first drops what
  // its previous life registered, so those sockets do not keep their users online.
  for (const userId of await presence.forgetReplica(config.REPLICA_ID)) announcer.announce(userId, 'offline');

  io.use(authenticateHandshake(deps.verifyAccessToken, isDraining));
  io.use(limitSocketsPerUser(presence, config.MAX_SOCKETS_PER_USER));
  const audience = createPresenceAudience({
    scope: fanoutScope(io, fanoutMode),
    presence,
    messageApi: deps.messageApi,
    contacts: createContactsCache(deps.redis, config.CONTACTS_CACHE_TTL),
    maxGroup: config.PRESENCE_MAX_GROUP,
    metrics,
    logger,
  });
  handleConnections({
    io,
    replicaPresence,
    members,
    messageApi: deps.messageApi,
    verifyAccessToken: deps.verifyAccessToken,
    eventRate: { perSecond: config.EVENT_RATE, burst: config.EVENT_BURST },
    syncPage: config.SYNC_PAGE,
    typingTtlMs: config.TYPING_TTL * 1000,
    typingThrottleMs: config.TYPING_THROTTLE_MS,
    audience,
    maxSocketsPerUser: config.MAX_SOCKETS_PER_USER,
    isDraining,
    metrics,
    logger,
  });

  const fanout = createEventFanout({
    io,
    mode: fanoutMode,
    members,
    metrics,
    audience,
    claims: fanoutMode === 'replica-queue' ? localEventClaims() : sharedEventClaims(deps.redis),
  });
  await queue.consume(deps.broker, fanout.handle);

  const keeper = startPresenceKeeper({
    registry: presence,
    replica: replicaPresence,
    announcer,
    intervalMs: config.PRESENCE_HEARTBEAT * 1000,
    isDraining,
    logger,
  });
  // Redis came back after a dropped connection (perhaps restarted, perhaps empty), or the
  // adapter's subscriptions did, having missed what other replicas announced meanwhile.
  for (const client of [deps.redis, deps.adapterSub]) client.on('ready', () => replicaPresence.markStale());

  async function drain(timeoutMs: number) {
    health.draining = true;
    const stopHeartbeat = () => keeper.stop();
    await drainReplica({ io, presence, announcer, replicaId: config.REPLICA_ID, stopHeartbeat }, timeoutMs);
  }

  app.addHook('onClose', async () => {
    await keeper.stop();
    io.local.disconnectSockets(true);
    io.engine.close();
  });
  return { ...kit, io, drain };
}
