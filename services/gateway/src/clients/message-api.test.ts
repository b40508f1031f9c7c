import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DomainError } from '@palaver/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMessageApi } from './message-api.ts';

/** A stand-in message service that answers slowly and counts the connections it is given. */
const connections = new Set<unknown>();
let mostAtOnce = 0;
const server = createServer((request, response) => {
  // Reads take a while here; writes answer at once.
  setTimeout(
    () => {
      const status = request.url?.startsWith('/conversations/missing') ? 404 : 200;
      const body =
        status === 404
          ? { error: { code: 'not_found', message: 'No such conversation' } }
          : { userIds: ['bob'] };
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    },
    request.method === 'GET' ? 20 : 0,
  );
});
server.on('connection', (socket) => {
  connections.add(socket);
  mostAtOnce = Math.max(mostAtOnce, connections.size);
  socket.on('close', () => connections.delete(socket));
});
let baseUrl: string;
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('the message service client', () => {
  it('queues calls beyond its connections instead of opening more, and answers them all', async () => {
    const api = createMessageApi(baseUrl, { connections: 3 });
    try {
      const answers = await Promise.all(Array.from({ length: 30 }, () => api.contacts('token', 100)));
      expect(answers).toEqual(Array.from({ length: 30 }, () => ({ userIds: ['bob'] })));
      expect(mostAtOnce).toBe(3);
    } finally {
      await api.close();
    }
  });

  it('sends a write at once while reads wait for their connections', async () => {
    const api = createMessageApi(baseUrl, { connections: 1 });
    try {
      const reads = Array.from({ length: 20 }, () => api.contacts('token', 100));
      const started = Date.now();
      await api.markRead('token', 'c1', 3);
      // 20 reads one at a time take 400 ms; the write did not queue behind them.
      expect(Date.now() - started).toBeLessThan(200);
      await Promise.all(reads);
    } finally {
      await api.close();
    }
  });

  it("turns the service's error into a DomainError with its code", async () => {
    const api = createMessageApi(baseUrl, { connections: 1 });
    try {
      const error = await api.conversation('token', 'missing').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({ code: 'not_found', message: 'No such conversation' });
    } finally {
      await api.close();
    }
  });

  it('answers unavailable when nothing listens', async () => {
    const api = createMessageApi('http://127.0.0.1:1', { connections: 1 });
    try {
      await expect(api.contacts('token', 100)).rejects.toMatchObject({ code: 'unavailable' });
    } finally {
      await api.close();
    }
  });
});
