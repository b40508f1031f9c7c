import { BlockList, BlockParams } from '@palaver/contracts';
import type { ServiceApp } from '@palaver/service-kit';
import { errorResponses, noContentResponse, thenNoContent } from '@palaver/service-kit';
import type { FastifyRequest } from 'fastify';
import type { Blocks } from '../domain/blocks.ts';

const errors = errorResponses(400, 401, 403, 404);
const secured = { tags: ['blocks'], security: [{ bearer: [] }] };

export function blockRoutes(
  app: ServiceApp,
  deps: { blocks: Blocks; authenticate: (request: FastifyRequest) => Promise<void> },
) {
  const { blocks } = deps;
  const onRequest = deps.authenticate;

  app.get(
    '/blocks',
    {
      onRequest,
      schema: { ...secured, summary: 'Whom the caller blocked', response: { 200: BlockList, ...errors } },
    },
    async (request) => blocks.list(request.principal.userId),
  );

  app.put(
    '/blocks/:userId',
    {
      onRequest,
      schema: {
        ...secured,
        summary:
          'Block a person (idempotent): no new direct chat, no messages in the one you have, no presence',
        params: BlockParams,
        response: { ...noContentResponse, ...errors },
      },
    },
    thenNoContent((request) =>
      blocks.block(request.principal.userId, request.params.userId, request.headers.authorization),
    ),
  );

  app.delete(
    '/blocks/:userId',
    {
      onRequest,
      schema: {
        ...secured,
        summary: 'Unblock a person (idempotent)',
        params: BlockParams,
        response: { ...noContentResponse, ...errors },
      },
    },
    thenNoContent((request) => blocks.unblock(request.principal.userId, request.params.userId)),
  );
}
