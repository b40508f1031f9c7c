/**
 * One person of `pnpm bench:rolling`: a socket that comes back by itself, what it holds of
 * its direct chat by seq, and what it saw of its partner's presence.
 */
import type { Message } from '@palaver/contracts';
import type { Client } from '../deployment.ts';

export interface ChatPerson {
  userId: string;
  token: string;
  partnerId: string;
  conversationId: string;
}

const ackTimeoutMs = 10_000;
const handshakeDeadlineMs = 15_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The web client's reconnection delay (socket.io-client: 500 ms doubling to 5 s, ± 50%) after `failures`. */
const backoffMs = (failures: number) => Math.min(5_000, 500 * 2 ** failures) * (0.5 + Math.random());

export class ChatClient {
  readonly person: ChatPerson;
  /** seq → clientMessageId, of everything held (received live, by sync, or own acks). */
  readonly held = new Map<number, string>();
  /** clientMessageId → seq, of this client's acknowledged sends. */
  readonly acked = new Map<string, number>();
  readonly reconnects: Array<{ at: number; ms: number; attempts: number }> = [];
  partnerFlaps = 0;
  receivedLive = 0;
  recoveredBySync = 0;
  private socket: Client | undefined;
  private cursor = 0;
  private watching = false;
  private closed = false;
  private syncing: Promise<void> | undefined;
  private waitingForConnect: Array<() => void> = [];
  private readonly openSocket: (token: string) => Client;
  private readonly refused: (code: string) => void;

  constructor(person: ChatPerson, openSocket: (token: string) => Client, refused: (code: string) => void) {
    this.person = person;
    this.openSocket = openSocket;
    this.refused = refused;
  }

  /** The first connect, retried as the web client does; resolves once connected. */
  async open(): Promise<void> {
    for (let attempt = 1; !this.closed; attempt++) {
      if (await this.tryConnect()) return;
      await sleep(backoffMs(attempt));
    }
  }

  private tryConnect(): Promise<boolean> {
    const socket = this.openSocket(this.person.token);
    this.socket = socket;
    socket.on('message:received', ({ message }) => this.hold(message, 'live'));
    socket.on('user:status', ({ userId, status }) => {
      if (this.watching && userId === this.person.partnerId && status === 'offline') this.partnerFlaps++;
    });
    return new Promise((resolve) => {
      // Not answered — lost before the handshake was (the replica exited meanwhile), or no
      // answer within the deadline: this attempt failed, as socket.io-client's own
      // reconnection would decide.
      const failed = (why: string) => {
        clearTimeout(deadline);
        socket.removeAllListeners();
        socket.close();
        this.refused(why);
        resolve(false);
      };
      const deadline = setTimeout(() => failed('no_answer'), handshakeDeadlineMs);
      socket.once('disconnect', () => failed('lost_before_answer'));
      socket.once('connect_error', (error) =>
        failed((error as Error & { data?: { code?: string } }).data?.code ?? 'connect_failed'),
      );
      socket.once('connect', () => {
        clearTimeout(deadline);
        socket.removeAllListeners('disconnect').removeAllListeners('connect_error');
        for (const resume of this.waitingForConnect.splice(0)) resume();
        socket.once('disconnect', (reason) => {
          if (reason === 'io client disconnect' || this.closed) return;
          // The first of this outage: the reconnect that ends it is timed from here.
          void this.reopen();
        });
        resolve(true);
      });
    });
  }

  private async reopen() {
    const since = Date.now();
    await sleep(backoffMs(0));
    for (let attempt = 1; !this.closed; attempt++) {
      if (await this.tryConnect()) {
        this.reconnects.push({ at: Date.now(), ms: Date.now() - since, attempts: attempt });
        void this.sync();
        return;
      }
      await sleep(backoffMs(attempt));
    }
  }

  get connected() {
    return this.socket?.connected === true;
  }

  /** Whether the client is connected within `withinMs` (at once if it is). */
  whenConnected(withinMs: number): Promise<boolean> {
    if (this.connected) return Promise.resolve(true);
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const resume = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waitingForConnect = this.waitingForConnect.filter((waiter) => waiter !== resume);
        resolve(false);
      }, withinMs);
      this.waitingForConnect.push(resume);
    });
  }

  /** From now on an offline status of the partner is a flap: both stay for the whole run. */
  watchPartner() {
    this.watching = true;
  }

  /** One attempt: 'acked', or why not (a refusal code, `no_ack`, `disconnected`). */
  async send(clientMessageId: string): Promise<string> {
    const socket = this.socket;
    if (!socket?.connected) return 'disconnected';
    try {
      const ack = await socket.timeout(ackTimeoutMs).emitWithAck('message:send', {
        conversationId: this.person.conversationId,
        clientMessageId,
        body: `rolling ${clientMessageId}`,
      });
      if (!ack.ok) return ack.error.code;
      this.acked.set(clientMessageId, ack.message.seq);
      this.hold(ack.message, 'own');
      return 'acked';
    } catch {
      return 'no_ack';
    }
  }

  private hold(message: Message, how: 'live' | 'sync' | 'own') {
    if (!this.held.has(message.seq)) {
      if (how === 'live') this.receivedLive++;
      if (how === 'sync') this.recoveredBySync++;
    }
    this.held.set(message.seq, message.clientMessageId);
    while (this.held.has(this.cursor + 1)) this.cursor++;
    // A seq beyond the next one: something was missed, as a real client would notice.
    if (how === 'live' && message.seq > this.cursor + 1) void this.sync();
  }

  /** Fetches everything after the cursor, until nothing is missing; retried while disconnected. */
  sync(): Promise<void> {
    this.syncing ??= (async () => {
      for (let more = true; more && !this.closed; ) {
        const socket = this.socket;
        try {
          if (!socket?.connected) throw new Error('disconnected');
          const ack = await socket
            .timeout(ackTimeoutMs)
            .emitWithAck('sync', { cursors: { [this.person.conversationId]: this.cursor } });
          if (!ack.ok) throw new Error(ack.error.code);
          more = false;
          for (const conversation of ack.conversations) {
            for (const message of conversation.messages) this.hold(message, 'sync');
            more ||= conversation.hasMore;
          }
        } catch {
          await sleep(500);
        }
      }
    })().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  /**
   * Against every acknowledged send of the conversation (both members'): missing ones,
   * clientMessageIds held at two seqs, and holes below the highest seq held.
   */
  check(acked: Map<string, number>) {
    let lost = 0;
    for (const [clientMessageId, seq] of acked) if (this.held.get(seq) !== clientMessageId) lost++;
    const seqsOf = new Map<string, number>();
    for (const clientMessageId of this.held.values())
      seqsOf.set(clientMessageId, (seqsOf.get(clientMessageId) ?? 0) + 1);
    const duplicated = [...seqsOf.values()].filter((n) => n > 1).length;
    const highest = Math.max(0, ...this.held.keys());
    return { lost, duplicated, gaps: highest - this.held.size };
  }

  close() {
    this.closed = true;
    this.socket?.disconnect();
  }
}
