import { type Ack, maxSyncConversations, type SyncedConversation } from '@palaver/contracts';
import type { GatewaySocket } from '../realtime/gateway-socket.ts';
import { sleep } from './backoff.ts';
import { ackTimeout, type ChatContext, connectedSocket } from './chat-context.ts';
import { type ChatState, lastHeldSeq } from './chat-state.ts';
import type { Conversations } from './conversations.ts';
import type { Messages } from './messages.ts';
import type { Outbox } from './outbox.ts';
import { acknowledgeDelivery } from './receipts.ts';

/** A `rate_limited` sync batch is retried this many times, backing off 1 s, 2 s, 4 s, 8 s… */
const syncRetries = 6;

/** The wait before a `rate_limited` sync batch is asked again: 1 s doubling to 8 s, plus up to ¼ s. */
export function syncBackoff(attempt: number, random = Math.random): number {
  return Math.min(8_000, 1_000 * 2 ** attempt) + random() * 250;
}

/**
 * Where each held conversation resumes: loaded ones from their held tail; the others only
 * need their list preview, so from their lastSeq.
 */
export function syncCursors(state: ChatState): [string, number][] {
  return Object.values(state.conversations).map((held) => [
    held.conversation.id,
    held.loaded ? lastHeldSeq(held) : held.conversation.lastSeq,
  ]);
}

/** The change cursors of the loaded conversations: what changed in their held messages since. */
function changeCursors(state: ChatState): Record<string, number> {
  const cursors: Record<string, number> = {};
  for (const held of Object.values(state.conversations)) {
    if (held.loaded && held.changeSeq !== null) cursors[held.conversation.id] = held.changeSeq;
  }
  return cursors;
}

/** Splits cursors into `sync` requests of at most {@link maxSyncConversations} each. */
export function syncBatches(cursors: [string, number][]): Record<string, number>[] {
  const batches: Record<string, number>[] = [];
  for (let start = 0; start < cursors.length; start += maxSyncConversations) {
    batches.push(Object.fromEntries(cursors.slice(start, start + maxSyncConversations)));
  }
  return batches;
}

/**
 * Catching up after every (re)connect: the list and marks when they may be stale, then a
 * `sync` from each conversation's cursor, then the outbox.
 */
export class Sync {
  private readonly context: ChatContext;
  private readonly conversations: Conversations;
  private readonly messages: Messages;
  private readonly outbox: Outbox;
  /** Bumped by each sync, so an older one still backing off gives way to it. */
  private run = 0;

  constructor(context: ChatContext, conversations: Conversations, messages: Messages, outbox: Outbox) {
    this.context = context;
    this.conversations = conversations;
    this.messages = messages;
    this.outbox = outbox;
  }

  /** After a reconnect: new conversations, then everything after our last seq, then the outbox. */
  async catchUp(reconnect: boolean): Promise<void> {
    // A first connect after the list failed to load (the APIs were down) loads it too.
    if (reconnect || this.context.store.get().listStatus === 'error') {
      await this.conversations.load();
      // Receipts sent while away are not replayed: read the marks of open conversations again.
      const loaded = Object.values(this.context.store.get().conversations).filter((state) => state.loaded);
      await Promise.all(loaded.map((state) => this.conversations.refreshMarks(state.conversation.id)));
    }
    await this.sync();
    void this.outbox.flush();
  }

  /**
   * Asks `sync` about every held conversation, at most {@link maxSyncConversations} per
   * request, one batch after the other; a batch the gateway turns away as `rate_limited`
   * is asked again after a backoff. A newer sync (the next connect) supersedes this one.
   */
  async sync(): Promise<void> {
    const socket = connectedSocket(this.context);
    if (!socket) return;
    const run = ++this.run;
    const state = this.context.store.get();
    const changes = changeCursors(state);
    let moreChanges = false;
    for (const batch of syncBatches(syncCursors(state))) {
      const batchChanges = Object.fromEntries(
        Object.keys(batch).flatMap((id) => (id in changes ? [[id, changes[id] as number]] : [])),
      );
      const outcome = await this.batch(socket, run, batch, batchChanges);
      if (outcome === 'stop') return;
      moreChanges ||= outcome === 'more changes';
    }
    // More changes than a page: ask again from the cursors this sync moved.
    if (moreChanges && this.current(socket, run)) await this.sync();
  }

  /** One `sync` request; `stop` when the rest should wait for the next connect. */
  private async batch(
    socket: GatewaySocket,
    run: number,
    cursors: Record<string, number>,
    changes: Record<string, number>,
  ): Promise<'done' | 'more changes' | 'stop'> {
    for (let attempt = 0; ; attempt++) {
      if (!this.current(socket, run)) return 'stop';
      let ack: Ack<{ conversations: SyncedConversation[]; gone: string[] }>;
      try {
        ack = await socket.timeout(ackTimeout).emitWithAck('sync', { cursors, changes });
      } catch {
        // Lost again mid-sync: the next connect syncs from the same cursors.
        return 'stop';
      }
      if (!ack.ok) {
        if (ack.error.code !== 'rate_limited') return 'done'; // This batch only; the others may pass.
        if (attempt >= syncRetries) return 'stop';
        await sleep(syncBackoff(attempt));
        continue;
      }
      this.apply(ack.gone, ack.conversations);
      return ack.conversations.some((synced) => synced.hasMoreChanges) ? 'more changes' : 'done';
    }
  }

  /** Still the newest sync, on the socket it began on, and that socket still connected. */
  private current(socket: GatewaySocket, run: number): boolean {
    const { context } = this;
    return !context.stopped && run === this.run && context.socket === socket && socket.connected;
  }

  private apply(gone: string[], conversations: SyncedConversation[]): void {
    for (const id of gone) this.conversations.drop(id);
    for (const synced of conversations) {
      this.messages.receive(synced.messages, false);
      this.messages.applyChanges(synced.conversationId, synced.changed, synced.changeSeq, 'sync');
      if (synced.hasMore) void this.messages.fillGap(synced.conversationId);
      acknowledgeDelivery(this.context, synced.conversationId);
    }
  }
}
