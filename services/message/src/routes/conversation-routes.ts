import {
  AddMembersBody,
  ContactList,
  ContactListQuery,
  Conversation,
  ConversationListQuery,
  ConversationPage,
  ConversationParams,
  CreateConversationBody,
  DeliveryReceipt,
  MemberParams,
  maxGroupMembers,
  pageLimits,
  ReadReceipt,
  ReadReceiptBody,
  TransferOwnershipBody,
  UpdateConversationBody,
  UpdateMemberBody,
} from '@palaver/contracts';
import type { ServiceApp } from '@palaver/service-kit';
import { errorResponses, noContentResponse, thenNoContent } from '@palaver/service-kit';
import type { FastifyRequest } from 'fastify';
import type { Conversations } from '../domain/conversations.ts';
import type { Membership } from '../domain/membership.ts';
import type { Receipts } from '../domain/receipts.ts';

const errors = errorResponses(400, 401, 403, 404);
const secured = { tags: ['conversations'], security: [{ bearer: [] }] };

// Over 80 lines as a whole: a route table, one declaration per route.
export function conversationRoutes(
  app: ServiceApp,
  deps: {
    conversations: Conversations;
    membership: Membership;
    receipts: Receipts;
    authenticate: (request: FastifyRequest) => Promise<void>;
  },
) {
  const { conversations, membership, receipts } = deps;
  // Before the body is read or validated: an unauthenticated caller costs no parsing and learns nothing.
  const onRequest = deps.authenticate;

  app.post(
    '/conversations',
    {
      onRequest,
      schema: {
        ...secured,
        summary: 'Open a direct conversation (idempotent) or create a group',
        body: CreateConversationBody,
        response: { 200: Conversation, 201: Conversation, ...errors },
      },
    },
    async (request, reply) => {
      const { conversation, created } = await conversations.create(
        request.principal.userId,
        request.body,
        request.headers.authorization,
      );
      return reply.status(created ? 201 : 200).send(conversation);
    },
  );

  app.get(
    '/conversations',
    {
      onRequest,
      schema: {
        ...secured,
        summary: "The caller's conversations by last activity, with unread counts",
        querystring: ConversationListQuery,
        response: { 200: ConversationPage, ...errors },
      },
    },
    async (request) =>
      conversations.list(
        request.principal.userId,
        request.query.limit ?? pageLimits.conversations.default,
        request.query.cursor,
      ),
  );

  app.get(
    '/conversations/:id',
    {
      onRequest,
      schema: { ...secured, params: ConversationParams, response: { 200: Conversation, ...errors } },
    },
    async (request) => conversations.get(request.params.id, request.principal.userId),
  );

  app.patch(
    '/conversations/:id',
    {
      onRequest,
      schema: {
        ...secured,
        summary: 'Rename a group (owner or admin)',
        params: ConversationParams,
        body: UpdateConversationBody,
        response: { 200: Conversation, ...errors },
      },
    },
    async (request) => conversations.rename(request.params.id, request.principal.userId, request.body.title),
  );

  app.post(
    '/conversations/:id/members',
    {
      onRequest,
      schema: {
        ...secured,
        summary: 'Add members to a group (owner or admin)',
        params: ConversationParams,
        body: AddMembersBody,
        response: { 200: Conversation, ...errors },
      },
    },
    async (request) =>
      membership.addMembers(
        request.params.id,
        request.principal.userId,
        request.body.userIds,
        request.headers.authorization,
      ),
  );

  app.delete(
    '/conversations/:id/members/:userId',
    {
      onRequest,
      schema: {
        ...secured,
        summary: 'Leave a group, or remove a member (owner or admin)',
        params: MemberParams,
        response: { ...noContentResponse, ...errors },
      },
    },
    thenNoContent((request) =>
      membership.removeMember(request.params.id, request.principal.userId, request.params.userId),
    ),
  );

  app.patch(
    '/conversations/:id/members/:userId',
    {
      onRequest,
      schema: {
        ...secured,
        summary: "Change a member's role to admin or member (owner or admin)",
        params: MemberParams,
        body: UpdateMemberBody,
        response: { 200: Conversation, ...errors },
      },
    },
    async (request) =>
      membership.setRole(
        request.params.id,
        request.principal.userId,
        request.params.userId,
        request.body.role,
      ),
  );

  app.put(
    '/conversations/:id/owner',
    {
      onRequest,
      schema: {
        ...secured,
        summary: 'Hand the group to another member (owner only; the caller becomes an admin)',
        params: ConversationParams,
        body: TransferOwnershipBody,
        response: { 200: Conversation, ...errors },
      },
    },
    async (request) =>
      membership.transferOwnership(request.params.id, request.principal.userId, request.body.userId),
  );

  app.post(
    '/conversations/:id/read',
    {
      onRequest,
      schema: {
        ...secured,
        summary: 'Read receipt: everything up to seq is read (never moves back)',
        params: ConversationParams,
        body: ReadReceiptBody,
        response: { 200: ReadReceipt, ...errors },
      },
    },
    async (request) => receipts.markRead(request.params.id, request.principal.userId, request.body.seq),
  );

  app.post(
    '/conversations/:id/delivered',
    {
      onRequest,
      schema: {
        ...secured,
        summary: "Delivery receipt: everything up to seq reached one of the caller's devices",
        params: ConversationParams,
        body: ReadReceiptBody,
        response: { 200: DeliveryReceipt, ...errors },
      },
    },
    async (request) => receipts.markDelivered(request.params.id, request.principal.userId, request.body.seq),
  );

  app.get(
    '/contacts',
    {
      onRequest,
      schema: {
        ...secured,
        summary: 'Everyone who shares a conversation with the caller (the audience of their presence)',
        querystring: ContactListQuery,
        response: { 200: ContactList, ...errors },
      },
    },
    async (request) =>
      conversations.contactsOf(request.principal.userId, request.query.maxGroupSize ?? maxGroupMembers),
  );

  for (const [method, muted] of [
    ['PUT', true],
    ['DELETE', false],
  ] as const) {
    app.route({
      method,
      url: '/conversations/:id/mute',
      onRequest,
      schema: {
        ...secured,
        summary: muted
          ? 'Mute for the caller: unread still counts, notifications do not (idempotent)'
          : 'Unmute for the caller (idempotent)',
        params: ConversationParams,
        response: { ...noContentResponse, ...errors },
      },
      handler: thenNoContent((request) =>
        conversations.setMuted(request.params.id, request.principal.userId, muted),
      ),
    });
  }
}
