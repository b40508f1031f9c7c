import type { ServerEventPayload } from '@palaver/contracts';
import { defineRedisScript } from '@palaver/service-kit';
import type { Redis } from 'ioredis';

/**
 * Who is online, across every gateway replica, kept in Redis.
 *
 * - `presence:{<user>}:sockets` — hash of the user's live sockets (`<replica>/<socket>`);
 *   the user is online while it is non-empty. `presence:{<user>}:seen` — last seen time.
 *   Both keys share a hash tag so each script touches one cluster slot.
 * - `presence:replica:<replica>` — set of that replica's `<user>/<socket>` entries, so a
 *   dead replica's sockets can be found and forgotten by the others.
 * - `presence:replicas` — sorted set of replica heartbeats (ms since the epoch).
 */
/** A user's status as `user:status` tells it. */
export type UserPresence = ServerEventPayload<'user:status'>;

export interface PresenceRegistry {
  /** Records a live socket; returns the user's live sockets now (1: they came online). */
  connect(userId: string, socketId: string): Promise<number>;
  /**
   * Forgets a socket; true when the user has no live socket left. That holds too when the
   * socket was not registered (Redis lost it), so the caller can say they went offline.
   */
  disconnect(userId: string, socketId: string): Promise<boolean>;
  statusOf(userIds: string[]): Promise<UserPresence[]>;
  /** The user's live sockets on every replica (a dead replica's count until it is reaped). */
  socketCount(userId: string): Promise<number>;
  /**
   * Renews this replica's heartbeat. Returns true when the heartbeat had been reaped
   * (this replica was presumed dead, e.g. after a long pause), so the caller re-registers.
   */
  heartbeat(): Promise<boolean>;
  /** Forgets the sockets of replicas silent past the timeout; returns users now offline. */
  reapSilentReplicas(): Promise<string[]>;
  /** Forgets every socket a replica registered; returns the users now offline. */
  forgetReplica(replicaId: string): Promise<string[]>;
  /** The sockets this replica has registered, as `{ userId, socketId }`. */
  ownSockets(): Promise<{ userId: string; socketId: string }[]>;
  /** How many users with a socket registered by this replica have none on any other. */
  stranded(): Promise<number>;
}

const connectScript = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[2])
return redis.call('HLEN', KEYS[1])`;

// The user's sockets left, whether or not this one was still registered.
const disconnectScript = `
redis.call('HDEL', KEYS[1], ARGV[1])
local left = redis.call('HLEN', KEYS[1])
if left == 0 then redis.call('SET', KEYS[2], ARGV[2]) end
return left`;

const userKeys = (userId: string) => [`presence:{${userId}}:sockets`, `presence:{${userId}}:seen`];
const replicaKey = (replicaId: string) => `presence:replica:${replicaId}`;
const replicasKey = 'presence:replicas';
const forgetBatch = 500;

// Over 80 lines as a whole: a factory whose methods (each short) share its dependencies.
export function createPresenceRegistry(options: {
  redis: Redis;
  replicaId: string;
  /** A replica whose heartbeat is older than this is presumed dead. */
  timeoutMs: number;
}): PresenceRegistry {
  const { redis, replicaId, timeoutMs } = options;
  const connectSocket = defineRedisScript(redis, 'palaverPresenceConnect', 2, connectScript);
  const disconnectSocket = defineRedisScript(redis, 'palaverPresenceDisconnect', 2, disconnectScript);
  const field = (socketId: string, replica = replicaId) => `${replica}/${socketId}`;

  async function removeSocket(userId: string, socketField: string): Promise<boolean> {
    const left = await disconnectSocket(userKeys(userId), socketField, new Date().toISOString());
    return left === 0;
  }

  const registry: PresenceRegistry = {
    async connect(userId, socketId) {
      // Listed under the replica first (one connection runs commands in the order sent), so
      // a crash in between leaves nothing unreapable; both go out in one round trip.
      const [, sockets] = await Promise.all([
        redis.sadd(replicaKey(replicaId), `${userId}/${socketId}`),
        connectSocket(userKeys(userId), field(socketId), new Date().toISOString()),
      ]);
      return Number(sockets);
    },

    async disconnect(userId, socketId) {
      const wentOffline = await removeSocket(userId, field(socketId));
      await redis.srem(replicaKey(replicaId), `${userId}/${socketId}`);
      return wentOffline;
    },

    async statusOf(userIds) {
      if (userIds.length === 0) return [];
      const pipeline = redis.pipeline();
      for (const userId of userIds) {
        const [sockets, seen] = userKeys(userId) as [string, string];
        pipeline.hlen(sockets).get(seen);
      }
      const replies = (await pipeline.exec()) ?? [];
      return userIds.map((userId, i) => ({
        userId,
        status: Number(replies[2 * i]?.[1] ?? 0) > 0 ? 'online' : 'offline',
        lastSeenAt: (replies[2 * i + 1]?.[1] as string | null) ?? null,
      }));
    },

    socketCount: (userId) => redis.hlen(userKeys(userId)[0] as string),

    async heartbeat() {
      const added = await redis.zadd(replicasKey, Date.now(), replicaId);
      return added === 1;
    },

    async reapSilentReplicas() {
      const silent = await redis.zrangebyscore(replicasKey, '-inf', Date.now() - timeoutMs);
      const offline: string[] = [];
      for (const dead of silent) {
        if (dead === replicaId) continue;
        // One reaper per dead replica, even when every survivor notices at once.
        const claimed = await redis.set(`presence:reaping:${dead}`, replicaId, 'PX', timeoutMs, 'NX');
        if (claimed !== 'OK') continue;
        offline.push(...(await registry.forgetReplica(dead)));
      }
      return offline;
    },

    async forgetReplica(dead) {
      const offline: string[] = [];
      const sockets = await socketsOf(dead);
      // In batches, each a round trip: a replica with thousands of sockets is forgotten in
      // well under a second, within the drain's and the reaper's time.
      for (let i = 0; i < sockets.length; i += forgetBatch) {
        const batch = sockets.slice(i, i + forgetBatch);
        const gone = await Promise.all(batch.map((s) => removeSocket(s.userId, field(s.socketId, dead))));
        offline.push(...batch.filter((_, k) => gone[k]).map((s) => s.userId));
      }
      await redis.multi().del(replicaKey(dead)).zrem(replicasKey, dead).exec();
      return [...new Set(offline)];
    },

    ownSockets: () => socketsOf(replicaId),

    async stranded() {
      const own = new Map<string, number>();
      for (const { userId } of await socketsOf(replicaId)) own.set(userId, (own.get(userId) ?? 0) + 1);
      const users = [...own.keys()];
      const pipeline = redis.pipeline();
      for (const userId of users) pipeline.hlen(userKeys(userId)[0] as string);
      const replies = (await pipeline.exec()) ?? [];
      return users.filter((userId, i) => Number(replies[i]?.[1] ?? 0) <= (own.get(userId) ?? 0)).length;
    },
  };

  async function socketsOf(replica: string) {
    const sockets: { userId: string; socketId: string }[] = [];
    const stream = redis.sscanStream(replicaKey(replica), { count: 500 });
    for await (const entries of stream as AsyncIterable<string[]>) {
      for (const entry of entries) {
        const [userId, socketId] = entry.split('/') as [string, string];
        sockets.push({ userId, socketId });
      }
    }
    return sockets;
  }
  return registry;
}
