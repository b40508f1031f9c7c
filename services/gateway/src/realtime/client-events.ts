import {
  type Ack,
  type ClientEventName,
  type ClientEventPayload,
  ClientEventPayloads,
  type ClientEventResults,
  type RealtimeError,
  type SyncedConversation,
} from '@palaver/contracts';
import type { Logger } from '@palaver/logger';
import { type AccessTokenVerifier, DomainError } from '@palaver/service-kit';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { MessageApi } from '../clients/message-api.ts';
import { GatewayError, tooManyEvents } from '../errors.ts';
import type { GatewayMetrics } from '../gateway-metrics.ts';
import { createEventBudget, type EventBudget } from './event-budget.ts';
import type { GatewaySocket } from './rooms.ts';

export interface ClientEventDeps {
  messageApi: MessageApi;
  verifyAccessToken: AccessTokenVerifier;
  /** Per-socket budget for every client event. */
  eventRate: { perSecond: number; burst: number };
  /** Most messages `sync` returns per conversation before answering `hasMore`. */
  syncPage: number;
  metrics: GatewayMetrics;
  logger: Logger;
}

/** What the connection lifecycle lends the handlers for one socket. */
export interface SocketHooks {
  typing(conversationId: string, isTyping: boolean): Promise<void>;
  tokenRefreshed(previousSessionId: string): void;
}

/** One socket, as its event handlers see it. */
interface EventContext {
  user: GatewaySocket['data'];
  hooks: SocketHooks;
}

type Handler<E extends ClientEventName> = (
  context: EventContext,
  payload: ClientEventPayload<E>,
) => Promise<ClientEventResults[E]>;

const validators = Object.fromEntries(
  Object.entries(ClientEventPayloads).map(([event, schema]) => [event, TypeCompiler.Compile(schema)]),
) as { [E in ClientEventName]: ReturnType<typeof TypeCompiler.Compile<(typeof ClientEventPayloads)[E]>> };

const syncConcurrency = 8;

// A sync asks the message service once per conversation: it costs accordingly (a full
// 200-conversation sync takes 41 of the default burst of 60). Receipts are cheap, one
// small write each, and a client acknowledges a whole sync's worth of them at once.
const costOf = (event: ClientEventName, payload: unknown) => {
  if (event === 'sync')
    return 1 + Math.ceil(Object.keys((payload as { cursors: object }).cursors).length / 5);
  return event === 'message:delivered' || event === 'conversation:read' ? 0.25 : 1;
};

// Over 80 lines as a whole: a table of event handlers, each short.
/**
 * Every client→server event. Each payload is checked against the shared schema and each
 * event is acknowledged `{ok:true, …}` or `{ok:false, error}`; nothing a client sends can
 * throw out of a handler. The handlers are built once per replica; a socket holds one
 * listener and its event budget (tens of thousands of sockets sit on a replica).
 */
export function createClientEvents(deps: ClientEventDeps) {
  const { messageApi, metrics, logger } = deps;

  const handlers: { [E in ClientEventName]: Handler<E> } = {
    // The message service meters sends per user (one budget with HTTP sends) and answers
    // `rate_limited` over it, which reaches the client as this ack's error.
    'message:send': async ({ user }, { conversationId, ...body }) => {
      return { message: await messageApi.send(user.token, conversationId, body) };
    },
    'message:delivered': async ({ user }, { conversationId, seq }) => {
      const receipt = await messageApi.markDelivered(user.token, conversationId, seq);
      return { deliveredSeq: receipt.lastDeliveredSeq };
    },
    'conversation:read': async ({ user }, { conversationId, seq }) => {
      const receipt = await messageApi.markRead(user.token, conversationId, seq);
      return { readSeq: receipt.lastReadSeq };
    },
    typing: async ({ hooks }, { conversationId, isTyping }) => {
      await hooks.typing(conversationId, isTyping);
      return {};
    },
    sync: async ({ user }, { cursors, changes = {} }) =>
      syncSince(user.token, Object.entries(cursors), changes),
    'auth:refresh': async ({ user, hooks }, { token }) => {
      const principal = await deps.verifyAccessToken(token);
      if (principal.userId !== user.userId) {
        throw new GatewayError('forbidden', 'The new token belongs to another user');
      }
      const previousSessionId = user.sessionId;
      Object.assign(user, { token, sessionId: principal.sessionId, expiresAt: principal.expiresAt });
      hooks.tokenRefreshed(previousSessionId);
      return { expiresAt: new Date(principal.expiresAt * 1000).toISOString() };
    },
  };

  /** What a conversation gained after `lastSeq`, and what changed up to it after `changeCursor`. */
  async function syncOne(
    token: string,
    conversationId: string,
    lastSeq: number,
    changeCursor: number | undefined,
  ): Promise<SyncedConversation> {
    const page = await messageApi.historyAfter(token, conversationId, lastSeq, deps.syncPage);
    const synced = {
      conversationId,
      messages: page.messages,
      hasMore: page.hasMore,
      changed: [] as SyncedConversation['changed'],
      changeSeq: page.changeSeq,
      hasMoreChanges: false,
    };
    // Nothing changed since the client's cursor (the usual case): no second call.
    if (changeCursor === undefined || page.changeSeq <= changeCursor) return synced;
    const changes = await messageApi.changesAfter(token, conversationId, changeCursor, deps.syncPage);
    return {
      ...synced,
      // Later messages come whole in `messages` (or in the history pages after it).
      changed: changes.messages.filter((message) => message.seq <= lastSeq),
      changeSeq: changes.changeSeq,
      hasMoreChanges: changes.hasMore,
    };
  }

  async function syncSince(
    token: string,
    cursors: [string, number][],
    changeCursors: Record<string, number>,
  ) {
    const conversations: SyncedConversation[] = [];
    const gone: string[] = [];
    const queue = [...cursors];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const [conversationId, lastSeq] = next;
        try {
          conversations.push(await syncOne(token, conversationId, lastSeq, changeCursors[conversationId]));
        } catch (error) {
          if (!(error instanceof DomainError && error.code === 'not_found')) throw error;
          gone.push(conversationId);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(syncConcurrency, cursors.length) }, worker));
    return { conversations, gone };
  }

  async function handle<E extends ClientEventName>(
    context: EventContext,
    budget: EventBudget,
    event: E,
    payload: unknown,
  ): Promise<Ack> {
    const validator = validators[event];
    const valid = validator.Check(payload);
    // Charged before anything else: an invalid event costs the client as much as a valid one.
    if (!budget.take(valid ? costOf(event, payload) : 1)) return failure(errorOf(tooManyEvents()));
    if (!valid) {
      const details = [...validator.Errors(payload)]
        .slice(0, 5)
        .map((error) => ({ path: error.path || '/', message: error.message }));
      return failure({ code: 'invalid_request', message: `Invalid ${event} payload`, details });
    }
    try {
      const handler = handlers[event] as Handler<E>;
      return { ok: true, ...(await handler(context, payload as ClientEventPayload<E>)) };
    } catch (error) {
      if (error instanceof DomainError) return failure(errorOf(error));
      logger.error({ err: error, event, userId: context.user.userId }, 'socket event failed');
      return failure({ code: 'internal', message: 'Something went wrong; try again' });
    }
  }

  return {
    /** Takes a socket's events from now on. */
    attach(socket: GatewaySocket, hooks: SocketHooks) {
      const context: EventContext = { user: socket.data, hooks };
      const budget = createEventBudget(deps.eventRate);
      socket.onAny((event: unknown, ...args: unknown[]) => {
        const ack = typeof args.at(-1) === 'function' ? (args.pop() as (result: Ack) => void) : undefined;
        // Own keys only: `toString` or `__proto__` are not events, whatever the prototype says.
        if (typeof event === 'string' && Object.hasOwn(handlers, event)) {
          metrics.eventsIn.inc({ event });
          void handle(context, budget, event as ClientEventName, args[0]).then((result) => ack?.(result));
          return;
        }
        // An event nobody handles would leave the client waiting on its ack forever.
        metrics.eventsIn.inc({ event: 'unknown' });
        if (!ack) return void budget.take(1);
        if (!budget.take(1)) return ack(failure(errorOf(tooManyEvents())));
        ack(
          failure(errorOf(new GatewayError('unknown_event', `No such event: ${String(event).slice(0, 64)}`))),
        );
      });
    },
  };
}

const failure = (error: RealtimeError): Ack => ({ ok: false, error });
const errorOf = (error: DomainError): RealtimeError => ({
  code: error.code,
  message: error.message,
  ...(error.details === undefined ? {} : { details: error.details }),
});
