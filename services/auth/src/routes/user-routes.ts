import {
  PublicUser,
  UserIdParams,
  UserList,
  UserLookupBody,
  UserPage,
  UserSearchQuery,
} from '@palaver/contracts';
import type { ServiceApp } from '@palaver/service-kit';
import { errorResponses } from '@palaver/service-kit';
import type { FastifyRequest } from 'fastify';
import type { Accounts } from '../domain/accounts.ts';

const secured = { tags: ['users'], security: [{ bearer: [] }] };

export function userRoutes(
  app: ServiceApp,
  deps: { accounts: Accounts; authenticate: (request: FastifyRequest) => Promise<void> },
) {
  const { accounts, authenticate } = deps;
  const errors = errorResponses(400, 401, 404);

  app.get(
    '/users',
    {
      onRequest: authenticate,
      schema: {
        ...secured,
        summary: 'Find people by username or display-name prefix',
        querystring: UserSearchQuery,
        response: { 200: UserPage, ...errors },
      },
    },
    async (request) => accounts.search(request.query),
  );

  app.post(
    '/users/lookup',
    {
      onRequest: authenticate,
      schema: {
        ...secured,
        summary: 'Which of these ids (or usernames) are people: the profiles of those that exist',
        body: UserLookupBody,
        response: { 200: UserList, ...errors },
      },
    },
    async (request) => accounts.lookup(request.body.ids ?? [], request.body.usernames ?? []),
  );

  app.get(
    '/users/:id',
    {
      onRequest: authenticate,
      schema: {
        ...secured,
        summary: "A person's public profile",
        params: UserIdParams,
        response: { 200: PublicUser, ...errors },
      },
    },
    async (request) => accounts.profile(request.params.id),
  );
}
