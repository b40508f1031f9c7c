/**
 * The bare Socket.IO 4.8 baseline of `pnpm bench:peers`: one replica of a server that does
 * only what the workloads need, with the sharded Redis adapter Palaver's gateways use and
 * Socket.IO's defaults otherwise. Each socket joins `u:<userId>` (from its handshake auth);
 * `join` adds a room, `dm` emits to a user's room, `publish` to a room; each acks.
 * Env: PORT, REDIS_URL, CHANNEL_PREFIX.
 */
import { createServer } from 'node:http';
import { createShardedAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';

const port = Number(process.env.PORT);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const pub = new Redis(redisUrl);
const sub = pub.duplicate();

// The benchmark's readiness probe, as for the project's services.
const http = createServer((request, response) => {
  response.writeHead(request.url === '/readyz' ? 200 : 404).end();
});
const io = new Server(http, {
  serveClient: false,
  adapter: createShardedAdapter(pub, sub, { channelPrefix: process.env.CHANNEL_PREFIX ?? 'bare' }),
});

type Ack = (answer: { ok: true }) => void;
io.on('connection', (socket) => {
  void socket.join(`u:${String(socket.handshake.auth.userId)}`);
  socket.on('join', (payload: { room: string }, ack: Ack) => {
    void socket.join(payload.room);
    ack({ ok: true });
  });
  socket.on('dm', (payload: { to: string }, ack: Ack) => {
    io.to(`u:${payload.to}`).emit('dm', payload);
    ack({ ok: true });
  });
  socket.on('publish', (payload: { room: string }, ack: Ack) => {
    io.to(payload.room).emit('msg', payload);
    ack({ ok: true });
  });
});

http.listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  io.close();
  pub.disconnect();
  sub.disconnect();
  process.exit(0);
});
