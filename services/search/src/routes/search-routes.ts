import { SearchPage, SearchQuery } from '@palaver/contracts';
import type { ServiceApp } from '@palaver/service-kit';
import { errorResponses } from '@palaver/service-kit';
import type { FastifyRequest } from 'fastify';
import type { MessageSearch } from '../domain/message-search.ts';

const errors = errorResponses(400, 401, 503);

export function searchRoutes(
  app: ServiceApp,
  deps: { search: MessageSearch; authenticate: (request: FastifyRequest) => Promise<void> },
) {
  app.get(
    '/search',
    {
      onRequest: deps.authenticate,
      schema: {
        tags: ['search'],
        security: [{ bearer: [] }],
        summary: 'Messages the caller can read now that contain every word of q, best first',
        querystring: SearchQuery,
        response: { 200: SearchPage, ...errors },
      },
    },
    // authenticate has checked the header: it is a bearer token, forwarded as it is.
    async (request) => deps.search(request.headers.authorization as string, request.query),
  );
}
