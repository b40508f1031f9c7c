import { Jwks } from '@palaver/contracts';
import type { ServiceApp } from '@palaver/service-kit';
import type { KeyRing } from '../domain/signing-keys.ts';

/** The public keys every other service verifies access tokens with. */
export function jwksRoutes(app: ServiceApp, keyRing: KeyRing) {
  app.get(
    '/auth/.well-known/jwks.json',
    {
      schema: {
        tags: ['auth'],
        summary: 'Public keys for access-token verification',
        response: { 200: Jwks },
      },
    },
    async (_request, reply) => reply.header('cache-control', 'public, max-age=300').send(keyRing.jwks),
  );
}
