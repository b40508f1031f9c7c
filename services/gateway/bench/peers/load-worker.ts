/**
 * One process of the lean load generator (forked by load-generator.ts): raw websockets
 * (`ws`) speaking the protocols of load-protocol.ts, driven over IPC by the parent. It
 * answers heartbeats, sends what it is told at a fixed rate, and times every stamped frame
 * that reaches a client marked for recording.
 */
import WebSocket from 'ws';
import {
  connectAnswer,
  connectFrame,
  heartbeatReply,
  type Outgoing,
  outgoingFrame,
  type Protocol,
  replyId,
  socketUrl,
  stamp,
  stampAge,
} from './load-protocol.ts';

export type WorkerCommand =
  | {
      type: 'connect';
      protocol: Protocol;
      targets: Array<{ base: string; auth: Record<string, string> }>;
      concurrency: number;
    }
  | { type: 'request'; requests: Array<{ client: number; outgoing: Outgoing }> }
  | { type: 'record'; clients: number[] }
  | { type: 'send'; plan: Array<{ client: number; outgoing: Outgoing }>; count: number; rate: number }
  | { type: 'collect' }
  | { type: 'close' };

interface Client {
  socket: WebSocket;
  recording: boolean;
  /** Replies awaited, by command or ack id. */
  waiting: Map<number, (frame: string) => void>;
}

const connectTimeoutMs = 15_000;
const now = () => performance.timeOrigin + performance.now();
let protocol: Protocol = 'socketio';
/** By the index of its target in the connect command (a hole where it failed). */
let clients: Array<Client | undefined> = [];
let nextId = 10;
let latencies: number[] = [];
/** The first refusal or timeout seen since the last send, for the parent's log. */
let firstError: string | undefined;
/** When the last timed frame arrived (ms since epoch). */
let lastAt = 0;

function onFrame(client: Client, frame: string) {
  const pong = heartbeatReply(protocol, frame);
  if (pong !== undefined) {
    client.socket.send(pong);
    return;
  }
  const id = replyId(protocol, frame);
  const waiter = id === undefined ? undefined : client.waiting.get(id);
  if (waiter && id !== undefined) {
    client.waiting.delete(id);
    waiter(frame);
    return;
  }
  if (!client.recording) return;
  const at = now();
  const age = stampAge(frame, at);
  if (age === undefined) return;
  latencies.push(age);
  lastAt = at;
}

/** Opens one client; resolves true once its connect is accepted, false if refused or failed. */
function open(target: { base: string; auth: Record<string, string> }, index: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new WebSocket(socketUrl(protocol, target.base), { perMessageDeflate: false });
    const client: Client = { socket, recording: false, waiting: new Map() };
    let connected = false;
    // A server out of file descriptors accepts nothing yet answers nothing: give up.
    const giveUp = setTimeout(() => {
      if (!connected) socket.terminate();
    }, connectTimeoutMs);
    socket.on('open', () => {
      if (protocol === 'centrifugo') socket.send(connectFrame(protocol, target.auth));
    });
    socket.on('message', (data) => {
      // Centrifugo may batch several replies and pushes in one frame, one JSON a line.
      for (const frame of protocol === 'centrifugo' ? data.toString().split('\n') : [data.toString()]) {
        if (connected) onFrame(client, frame);
        else if (protocol === 'socketio' && frame.startsWith('0{'))
          socket.send(connectFrame(protocol, target.auth));
        else {
          const answer = connectAnswer(protocol, frame);
          if (answer === 'ok') {
            connected = true;
            clearTimeout(giveUp);
            clients[index] = client;
            resolve(true);
          } else if (answer === 'refused') {
            socket.close();
            resolve(false);
          }
        }
      }
    });
    socket.on('error', () => resolve(false));
    socket.once('close', () => clearTimeout(giveUp));
    socket.on('close', () => resolve(false));
  });
}

async function connectAll(command: Extract<WorkerCommand, { type: 'connect' }>) {
  protocol = command.protocol;
  for (const client of clients) client?.socket.terminate();
  clients = [];
  const queue = [...command.targets.keys()];
  let ok = 0;
  let refused = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: command.concurrency }, async () => {
      for (let index = queue.shift(); index !== undefined; index = queue.shift()) {
        if (await open(command.targets[index] as (typeof command.targets)[number], index)) ok++;
        else refused++;
      }
    }),
  );
  return { ok, refused, ms: performance.now() - started };
}

/** Replaces every "$stamp" string in an outgoing payload with a fresh stamp. */
const stamped = (outgoing: Outgoing): Outgoing =>
  JSON.parse(JSON.stringify(outgoing).replaceAll('"$stamp"', `"${stamp()}"`));

/** Sends `outgoing` from a client; resolves with the reply's delay in ms (undefined if none in 30 s). */
function request(client: Client | undefined, outgoing: Outgoing): Promise<number | undefined> {
  if (!client) return Promise.resolve(undefined);
  const id = nextId++;
  const sentAt = performance.now();
  const frame = outgoingFrame(protocol, stamped(outgoing), id);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      client.waiting.delete(id);
      firstError ??= 'no reply within 30 s';
      resolve(undefined);
    }, 30_000);
    client.waiting.set(id, (reply) => {
      clearTimeout(timer);
      const refused = reply.includes('"error"');
      if (refused) firstError ??= reply.slice(0, 300);
      resolve(refused ? undefined : performance.now() - sentAt);
    });
    client.socket.send(frame);
  });
}

/** Open loop: `count` requests at `rate`/s, cycling through `plan`. */
async function sendAtRate(command: Extract<WorkerCommand, { type: 'send' }>) {
  firstError = undefined;
  const replies: Array<Promise<number | undefined>> = [];
  const t = performance.now();
  for (let i = 0; i < command.count; i++) {
    const wait = t + (i * 1000) / command.rate - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const step = command.plan[i % command.plan.length] as (typeof command.plan)[number];
    replies.push(request(clients[step.client], step.outgoing));
  }
  const delays = await Promise.all(replies);
  const acked = delays.filter((d): d is number => d !== undefined);
  return { acked, errors: delays.length - acked.length, firstError };
}

async function handle(command: WorkerCommand): Promise<unknown> {
  switch (command.type) {
    case 'connect':
      return connectAll(command);
    case 'request': {
      const delays = await Promise.all(
        command.requests.map(({ client, outgoing }) => request(clients[client], outgoing)),
      );
      return { errors: delays.filter((d) => d === undefined).length };
    }
    case 'record': {
      const chosen = new Set(command.clients);
      for (const [i, client] of clients.entries()) if (client) client.recording = chosen.has(i);
      latencies = [];
      return {};
    }
    case 'send':
      return sendAtRate(command);
    case 'collect': {
      const collected = latencies;
      latencies = [];
      return { latencies: collected, lastAt };
    }
    case 'close':
      for (const client of clients) client?.socket.terminate();
      clients = [];
      setImmediate(() => process.exit(0));
      return {};
  }
}

process.on('message', (message: { seq: number; command: WorkerCommand }) => {
  handle(message.command).then(
    (result) => process.send?.({ seq: message.seq, result }),
    (error: unknown) => process.send?.({ seq: message.seq, error: String(error) }),
  );
});
// A parent that dies leaves no clients behind.
process.on('disconnect', () => process.exit(0));
