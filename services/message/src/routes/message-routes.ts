import {
  ChangesQuery,
  ConversationParams,
  EditMessageBody,
  HistoryQuery,
  Message,
  MessageChanges,
  MessagePage,
  MessageParams,
  ReactionParams,
  SendMessageBody,
  ThreadPage,
  ThreadQuery,
} from '@palaver/contracts';
import {
  errorResponses,
  inFlightLimit,
  noContentResponse,
  queueTimeLimit,
  type ServiceApp,
  thenNoContent,
} from '@palaver/service-kit';
import type { FastifyRequest } from 'fastify';
import type { Messages } from '../domain/messages.ts';
import type { Reactions } from '../domain/reactions.ts';
import type { SendRateLimit } from '../domain/send-rate-limit.ts';
import type { Threads } from '../domain/threads.ts';

const errors = errorResponses(400, 401, 403, 404, 409, 429, 503);
const secured = { tags: ['messages'], security: [{ bearer: [] }] };

// Over 80 lines as a whole: a route table, one declaration per route.
export function messageRoutes(
  app: ServiceApp,
  deps: {
    messages: Messages;
    reactions: Reactions;
    threads: Threads;
    authenticate: (request: FastifyRequest) => Promise<void>;
    /** Each user's send budget, shared with the sends gateways forward for their sockets. */
    sendRate: SendRateLimit;
    /** Most sends worked on at once; more are refused with 503 before any work. */
    maxSendsInFlight: number;
    /** Sends stamped longer ago than this are refused with 503 before any work. */
    maxQueueTimeMs: number;
  },
) {
  const { messages } = deps;
  const sendLimit = inFlightLimit(deps.maxSendsInFlight);
  const sendQueueTime = queueTimeLimit(deps.maxQueueTimeMs);
  // Before the body is read or validated: an unauthenticated caller costs no parsing and learns nothing.
  const onRequest = deps.authenticate;

  app.get(
    '/messages',
    {
      onRequest,
      schema: {
        ...secured,
        summary: 'History by seq: newest first before `before`, oldest first after `after`',
        querystring: HistoryQuery,
        response: { 200: MessagePage, ...errors },
      },
    },
    async (request) => messages.history(request.principal.userId, request.query),
  );

  app.get(
    '/conversations/:id/changes',
    {
      onRequest,
      schema: {
        ...secured,
        summary: 'Messages edited, deleted or reacted to after a change cursor, as they are now',
        params: ConversationParams,
        querystring: ChangesQuery,
        response: { 200: MessageChanges, ...errors },
      },
    },
    async (request) => messages.changes(request.params.id, request.principal.userId, request.query),
  );

  app.get(
    '/conversations/:id/threads/:seq',
    {
      onRequest,
      schema: {
        ...secured,
        summary: "A thread's root and a page of its replies by place: the latest, before or after a place",
        params: MessageParams,
        querystring: ThreadQuery,
        response: { 200: ThreadPage, ...errors },
      },
    },
    async (request) =>
      deps.threads.page(request.params.id, request.principal.userId, request.params.seq, request.query),
  );

  app.post(
    '/conversations/:id/messages',
    {
      // Sends bound their own work (in flight, queue time, the appender's queue and
      // deadline) to keep batching: not the request gate's.
      config: { ungated: true },
      // Shedding first: a refused send costs no token check either; then who is sending,
      // then their budget — all before the body is read.
      onRequest: [
        sendQueueTime,
        sendLimit.onRequest,
        onRequest,
        (request) => deps.sendRate.take(request.principal.userId),
      ],
      schema: {
        ...secured,
        summary: 'Send; answers once stored. A retried clientMessageId returns the original (200)',
        params: ConversationParams,
        body: SendMessageBody,
        response: { 200: Message, 201: Message, ...errors },
      },
    },
    async (request, reply) => {
      // A caller that gives up (its connection closes before the answer) cancels the send.
      const abandoned = new AbortController();
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) abandoned.abort();
      });
      const { message, created } = await messages.send(
        request.params.id,
        request.principal.userId,
        request.body,
        request.headers.authorization,
        abandoned.signal,
      );
      return reply.status(created ? 201 : 200).send(message);
    },
  );

  app.patch(
    '/conversations/:id/messages/:seq',
    {
      onRequest,
      schema: {
        ...secured,
        summary: "Edit one's own message",
        params: MessageParams,
        body: EditMessageBody,
        response: { 200: Message, ...errors },
      },
    },
    async (request) =>
      messages.edit(
        request.params.id,
        request.principal.userId,
        request.params.seq,
        request.body.body,
        request.headers.authorization,
      ),
  );

  app.delete(
    '/conversations/:id/messages/:seq',
    {
      onRequest,
      schema: {
        ...secured,
        summary: "Delete one's own message (a tombstone stays)",
        params: MessageParams,
        response: { ...noContentResponse, ...errors },
      },
    },
    thenNoContent((request) =>
      messages.remove(request.params.id, request.principal.userId, request.params.seq),
    ),
  );

  for (const [method, reacted] of [
    ['PUT', true],
    ['DELETE', false],
  ] as const) {
    app.route({
      method,
      url: '/conversations/:id/messages/:seq/reactions/:emoji',
      onRequest,
      schema: {
        ...secured,
        summary: reacted
          ? 'React with an emoji (idempotent; URL-encode it); answers with the message and its reactions'
          : 'Take a reaction back (idempotent); answers with the message and its reactions',
        params: ReactionParams,
        response: { 200: Message, ...errors },
      },
      handler: async (request) => {
        const { id, seq, emoji } = request.params;
        const userId = request.principal.userId;
        return reacted
          ? deps.reactions.react(id, userId, seq, emoji)
          : deps.reactions.unreact(id, userId, seq, emoji);
      },
    });
  }
}
