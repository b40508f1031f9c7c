/**
 * One process of `pnpm bench:rolling`'s clients. Each client is a person in a direct chat
 * whose partner lives in the same process, on socket.io-client as the web client uses it:
 * a send is retried with its clientMessageId until acknowledged, as the web client's outbox
 * does; a lost connection is retried as the web client does (500 ms ± 50%, doubling to 5 s)
 * on a live replica (what the edge does for a browser); a reconnect or a gap in seqs syncs
 * what was missed. It
 * counts what a person would notice: a send never acknowledged, a message missing or held
 * twice, the partner shown offline.
 */
import { io } from 'socket.io-client';
// The web client's own outbox backoff (1 s doubling to 30 s, half random), not a copy of it.
import { retryBackoff } from '../../../../web/src/chat/backoff.ts';
import type { Client } from '../deployment.ts';
import { ChatClient, type ChatPerson } from './chat-client.ts';

export type ChatCommand =
  | { type: 'connect'; people: ChatPerson[]; urls: string[]; concurrency: number }
  | { type: 'urls'; urls: string[] }
  | { type: 'chat'; rate: number }
  | { type: 'quiet' }
  | { type: 'report' }
  | { type: 'close' };

export interface SendRecord {
  sentAt: number;
  ackedAt: number;
  attempts: number;
}

export interface WorkerReport {
  sent: number;
  acked: number;
  unacked: number;
  lost: number;
  duplicated: number;
  gaps: number;
  /** Offline statuses of a partner who never left (each one a flap a person would see). */
  flaps: number;
  sends: SendRecord[];
  /** Per reconnect: when it came back (ms since the epoch), after how long, in how many tries. */
  reconnects: Array<{ at: number; ms: number; attempts: number }>;
  /** Handshakes refused or failed, by code. */
  refusals: Record<string, number>;
  /** Send attempts not acknowledged, by why (a refusal code, `no_ack`, `disconnected`). */
  sendFailures: Record<string, number>;
  receivedLive: number;
  recoveredBySync: number;
}

let urls: string[] = [];
let clients: ChatClient[] = [];
let sending: NodeJS.Timeout | undefined;
const inFlight = new Set<Promise<void>>();
const sends: SendRecord[] = [];
let sent = 0;
let unacked = 0;
const refusals: Record<string, number> = {};
const sendFailures: Record<string, number> = {};
const count = (tally: Record<string, number>) => (code: string) => {
  tally[code] = (tally[code] ?? 0) + 1;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A socket to a replica the edge would route to now (any live one). */
function openSocket(token: string): Client {
  const url = urls[Math.floor(Math.random() * urls.length)] as string;
  return io(url, {
    auth: { token },
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    timeout: 10_000,
  });
}

/**
 * Sends one message until acknowledged, with the same clientMessageId, as the web client's
 * outbox does: again on the next connect when the socket was lost, after a backoff when
 * refused for now or unanswered on a live socket.
 */
async function sendUntilAcked(client: ChatClient, clientMessageId: string) {
  const sentAt = Date.now();
  sent++;
  const giveUpAt = sentAt + 120_000;
  for (let attempts = 1, failures = 0; Date.now() < giveUpAt; attempts++) {
    if (!(await client.whenConnected(giveUpAt - Date.now()))) break;
    const outcome = await client.send(clientMessageId);
    if (outcome === 'acked') {
      sends.push({ sentAt, ackedAt: Date.now(), attempts });
      return;
    }
    count(sendFailures)(outcome);
    if (!client.connected) continue;
    await sleep(retryBackoff(failures++));
  }
  unacked++;
}

async function connectAll(command: Extract<ChatCommand, { type: 'connect' }>) {
  urls = command.urls;
  clients = command.people.map((person) => new ChatClient(person, openSocket, count(refusals)));
  const queue = [...clients];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: command.concurrency }, async () => {
      for (let client = queue.shift(); client; client = queue.shift()) await client.open();
    }),
  );
  return { ms: performance.now() - started };
}

/** Open loop: `rate` sends a second from random clients until `quiet`. */
function chat(rate: number) {
  for (const client of clients) client.watchPartner();
  let n = 0;
  sending = setInterval(() => {
    const client = clients[Math.floor(Math.random() * clients.length)] as ChatClient;
    const send = sendUntilAcked(client, `${client.person.userId}-${n++}`);
    inFlight.add(send);
    void send.finally(() => inFlight.delete(send));
  }, 1000 / Math.max(rate, 0.001));
}

async function quiet() {
  clearInterval(sending);
  while (inFlight.size > 0) await Promise.all([...inFlight]);
}

/** Syncs every client one last time, then checks each conversation seq by seq. */
async function report(): Promise<WorkerReport> {
  for (let i = 0; i < clients.length; i += 100) {
    await Promise.all(clients.slice(i, i + 100).map((client) => client.sync()));
  }
  const byConversation = Map.groupBy(clients, (client) => client.person.conversationId);
  let lost = 0;
  let duplicated = 0;
  let gaps = 0;
  for (const members of byConversation.values()) {
    const acked = new Map(members.flatMap((member) => [...member.acked]));
    for (const member of members) {
      const check = member.check(acked);
      lost += check.lost;
      duplicated += check.duplicated;
      gaps += check.gaps;
    }
  }
  const sum = (pick: (client: ChatClient) => number) => clients.reduce((total, c) => total + pick(c), 0);
  return {
    sent,
    acked: sends.length,
    unacked,
    lost,
    duplicated,
    gaps,
    flaps: sum((c) => c.partnerFlaps),
    sends,
    reconnects: clients.flatMap((c) => c.reconnects),
    refusals,
    sendFailures,
    receivedLive: sum((c) => c.receivedLive),
    recoveredBySync: sum((c) => c.recoveredBySync),
  };
}

async function handle(command: ChatCommand): Promise<unknown> {
  switch (command.type) {
    case 'connect':
      return connectAll(command);
    case 'urls':
      urls = command.urls;
      return {};
    case 'chat':
      chat(command.rate);
      return {};
    case 'quiet':
      return quiet();
    case 'report':
      return report();
    case 'close':
      for (const client of clients) client.close();
      setTimeout(() => process.exit(0), 100);
      return {};
  }
}

process.on('message', (message: { seq: number; command: ChatCommand }) => {
  handle(message.command).then(
    (result) => process.send?.({ seq: message.seq, result }),
    (error: Error) => process.send?.({ seq: message.seq, error: error.stack ?? error.message }),
  );
});
process.on('disconnect', () => process.exit(0));
