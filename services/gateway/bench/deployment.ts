/**
 * What the gateway benchmarks share: the stack they measure (a message service and two
 * gateway replicas, each its own process, as the tests deploy it), sockets on it, and
 * events published straight onto its exchange.
 */
import { fileURLToPath } from 'node:url';
import type { ClientToServerEvents, Message, ServerToClientEvents } from '@palaver/contracts';
import type { BenchEnvironment } from '@palaver/testing/bench-environment';
import { eventEnvelope } from '@palaver/testing/test-messages';
import type amqp from 'amqplib';
import { io as connectClient, type Socket } from 'socket.io-client';
import { gatewayVariables, messageServiceVariables } from '../test/stack-variables.ts';

export type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

const messageEntry = fileURLToPath(new URL('../../message/src/server.ts', import.meta.url));
const gatewayEntry = fileURLToPath(new URL('../src/server.ts', import.meta.url));

/** The gateways' young generation as deployed (infra/k8s/gateway.yaml); the benches run them so. */
export const deployedGatewayNodeOptions = '--max-semi-space-size=4';

/** BENCH_PROFILE=dir: each process given these options writes a V8 CPU profile there as it stops. */
export const cpuProfileOptions = () =>
  process.env.BENCH_PROFILE ? `--cpu-prof --cpu-prof-dir=${process.env.BENCH_PROFILE}` : '';

/** The stack on names of its own (`label`); the bench stops it on close. */
export async function deployStack(
  bench: BenchEnvironment,
  label: string,
  extra: { message?: Record<string, string>; gateway?: Record<string, string> } = {},
) {
  const env = await bench.isolate(label);
  const message = await bench.start(messageEntry, {
    ...messageServiceVariables(env, bench.jwksUrl),
    ...extra.message,
  });
  const servers = { messageUrl: message.url, jwksUrl: bench.jwksUrl };
  /** A gateway replica named `<label>-<name>`, on a port of its own (a rolling restart starts more). */
  const startGateway = (name: string) =>
    bench.start(gatewayEntry, { ...gatewayVariables(env, `${label}-${name}`, servers), ...extra.gateway });
  const gateways = await Promise.all(['1', '2'].map(startGateway));
  return { env, message, gateways, startGateway };
}

/** A client connected over websocket (no reconnection); rejects when the gateway refuses it. */
export async function connectSocket(url: string, token: string): Promise<Client> {
  const socket: Client = connectClient(url, {
    auth: { token },
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return socket;
}

/** Publishes `message.created` onto `exchange` as the message service would, without storing anything. */
export function publishMessageCreated(
  channel: amqp.Channel,
  exchange: string,
  message: Message,
  memberIds: string[],
) {
  channel.publish(
    exchange,
    'message.created',
    Buffer.from(JSON.stringify(eventEnvelope('message.created', { message, memberIds }))),
    { persistent: true, contentType: 'application/json' },
  );
}
