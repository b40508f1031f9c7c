import type {
  ContactList,
  Conversation,
  Message,
  MessageChanges,
  MessagePage,
  SendMessageBody,
} from '@palaver/contracts';
import { DomainError, requestStartHeader } from '@palaver/service-kit';
import { type Dispatcher, Pool } from 'undici';

/**
 * The gateway's view of the message service: its internal HTTP API, called with the
 * socket owner's own access token, so the message service checks membership exactly
 * as it does for any other client. Errors come back as DomainErrors with the message
 * service's codes; an unreachable service is `unavailable`.
 *
 * Calls share bounded pools of keep-alive connections: beyond `connections` they queue
 * here (within their timeout) instead of each opening a socket. A reconnect storm once
 * opened ~1,800 at the message service with fetch's unbounded pool, and the queueing
 * moved into its accept backlog and event loop. Writes (sends, receipts) and reads
 * (sync, contacts) have a pool each, so a send never waits behind a storm's syncs: the
 * message service refuses a send that waited over a second (SEND_QUEUE_TIME_MAX_MS).
 */
export interface MessageApi {
  send(token: string, conversationId: string, body: SendMessageBody): Promise<Message>;
  markDelivered(token: string, conversationId: string, seq: number): Promise<{ lastDeliveredSeq: number }>;
  markRead(token: string, conversationId: string, seq: number): Promise<{ lastReadSeq: number }>;
  historyAfter(token: string, conversationId: string, after: number, limit: number): Promise<MessagePage>;
  changesAfter(token: string, conversationId: string, after: number, limit: number): Promise<MessageChanges>;
  conversation(token: string, conversationId: string): Promise<Conversation>;
  /** Users sharing a direct conversation, or a group of at most `maxGroupSize`, with the caller. */
  contacts(token: string, maxGroupSize: number): Promise<ContactList>;
  /** Closes the pools once calls in flight are answered. */
  close(): Promise<void>;
}

const requestTimeoutMs = 10_000;

export function createMessageApi(baseUrl: string, options: { connections: number }): MessageApi {
  const origin = new URL(baseUrl).origin;
  const pools = {
    GET: new Pool(origin, { connections: options.connections }),
    POST: new Pool(origin, { connections: options.connections }),
  };

  async function call<T>(token: string, method: 'GET' | 'POST', path: string, body?: object): Promise<T> {
    const url = new URL(path, baseUrl);
    let response: Dispatcher.ResponseData;
    try {
      response = await pools[method].request({
        path: url.pathname + url.search,
        method,
        headers: {
          authorization: `Bearer ${token}`,
          // When the event reached this gateway: the message service drops it if it waited too long.
          'x-request-start': requestStartHeader(),
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
    } catch {
      throw new DomainError('unavailable', 'The message service is unreachable; try again');
    }
    const payload = (await response.body.json().catch(() => undefined)) as
      | (T & { error?: { code: string; message: string; details?: unknown } })
      | undefined;
    const ok = response.statusCode >= 200 && response.statusCode < 300;
    if (ok && payload) return payload;
    if (response.statusCode >= 500 || !payload?.error) {
      throw new DomainError('unavailable', 'The message service could not answer; try again');
    }
    throw new DomainError(payload.error.code, payload.error.message, payload.error.details);
  }

  const conversationPath = (id: string) => `/conversations/${encodeURIComponent(id)}`;
  return {
    send: (token, conversationId, body) =>
      call(token, 'POST', `${conversationPath(conversationId)}/messages`, body),
    markDelivered: (token, conversationId, seq) =>
      call(token, 'POST', `${conversationPath(conversationId)}/delivered`, { seq }),
    markRead: (token, conversationId, seq) =>
      call(token, 'POST', `${conversationPath(conversationId)}/read`, { seq }),
    historyAfter: (token, conversationId, after, limit) =>
      call(
        token,
        'GET',
        `/messages?${new URLSearchParams({ conversationId, after: String(after), limit: String(limit) })}`,
      ),
    changesAfter: (token, conversationId, after, limit) =>
      call(
        token,
        'GET',
        `${conversationPath(conversationId)}/changes?${new URLSearchParams({ after: String(after), limit: String(limit) })}`,
      ),
    conversation: (token, conversationId) => call(token, 'GET', conversationPath(conversationId)),
    contacts: (token, maxGroupSize) => call(token, 'GET', `/contacts?maxGroupSize=${maxGroupSize}`),
    close: () => Promise.all([pools.GET.close(), pools.POST.close()]).then(() => undefined),
  };
}
