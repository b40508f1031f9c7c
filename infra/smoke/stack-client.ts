/**
 * What the system tests share: the local stack's command and ports, HTTP through the edge,
 * and registered people. Every request goes through the nginx edge on 127.0.0.1:8080.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ClientToServerEvents, ServerToClientEvents } from '@palaver/contracts';
import type { Socket } from 'socket.io-client';

export type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const edge = 'http://127.0.0.1:8080';
export const gatewayPorts = [4011, 4012, 4013];
// The edge, services, gateways, the store and its PostgreSQL, Redis, RabbitMQ and its epmd.
export const stackPorts = [8080, 4001, 4002, 4003, 4005, ...gatewayPorts, 27017, 15432, 6379, 5672, 4369];
export const run = promisify(execFile);

export const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/** Runs `infra/local/palaver <args>` and returns its output. */
export async function palaverCommand(...args: string[]) {
  const { stdout, stderr } = await run(`${root}infra/local/palaver`, args, { cwd: root, timeout: 600_000 });
  return `${stdout}${stderr}`;
}

/** System tests start the stack from nothing: refuse to run beside one already up. */
export async function assertStackPortsFree() {
  for (const port of stackPorts) {
    if (await portOpen(port)) {
      const holder = await run('ss', ['-ltnpH', `sport = :${port}`]).then(
        (r) => r.stdout.trim(),
        () => '',
      );
      throw new Error(
        `port ${port} is in use (${holder}): stop the running stack (infra/local/palaver down) first`,
      );
    }
  }
}

/**
 * fetch through the edge, retried once when a kept-alive connection was closed before any
 * answer: `palaver scale` reloads nginx, whose old workers close their idle connections,
 * and a request can race that close — browsers retry such a request the same way.
 */
export async function edgeFetch(url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    if ((error as { cause?: { code?: string } }).cause?.code !== 'UND_ERR_SOCKET') throw error;
    return fetch(url, init);
  }
}

/** Calls an API through the edge; throws on any status other than 2xx. */
export async function api<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const response = await edgeFetch(`${edge}${path}`, {
    method,
    headers: {
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export interface Person {
  id: string;
  username: string;
  token: string;
}

/** A new account, logged in (the second way to a token). */
export async function register(prefix = 'smoke'): Promise<Person> {
  const username = `${prefix}_${randomBytes(5).toString('hex')}`;
  const password = 'correct horse battery staple';
  await api('POST', '/api/auth/register', { username, password, displayName: 'System Test' });
  const login = await api<{ user: { id: string }; accessToken: string }>('POST', '/api/auth/login', {
    username,
    password,
  });
  return { id: login.user.id, username, token: login.accessToken };
}

/** Live sockets per gateway replica (by port), from each replica's own metrics. */
export async function socketsPerReplica(): Promise<Record<number, number>> {
  const counts: Record<number, number> = {};
  for (const port of gatewayPorts) {
    // A replica that does not answer (stopped, frozen) counts as none.
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`, {
      signal: AbortSignal.timeout(2_000),
    }).then(
      (response) => response.text(),
      () => '',
    );
    const match = /^gateway_connected_sockets\{[^}]*\} (\d+)/m.exec(metrics);
    if (match) counts[port] = Number(match[1]);
  }
  return counts;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(100);
  }
}
