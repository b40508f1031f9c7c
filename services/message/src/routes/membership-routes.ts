import { MembershipList } from '@palaver/contracts';
import type { ServiceApp } from '@palaver/service-kit';
import { errorResponses } from '@palaver/service-kit';
import type { FastifyRequest } from 'fastify';

const errors = errorResponses(401);

/**
 * The caller's conversations as they are now: what other services ask before they show a
 * user anything of a conversation (search checks it on every query, so a removed member
 * loses access at once).
 */
export function membershipRoutes(
  app: ServiceApp,
  deps: {
    conversationIdsOf: (userId: string) => Promise<string[]>;
    authenticate: (request: FastifyRequest) => Promise<void>;
  },
) {
  app.get(
    '/memberships',
    {
      onRequest: deps.authenticate,
      schema: {
        tags: ['conversations'],
        security: [{ bearer: [] }],
        summary: 'The ids of the conversations the caller is a member of now',
        response: { 200: MembershipList, ...errors },
      },
    },
    async (request) => ({ conversationIds: await deps.conversationIdsOf(request.principal.userId) }),
  );
}
