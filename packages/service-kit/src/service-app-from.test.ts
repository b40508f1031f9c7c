import { describe, expect, it } from 'vitest';
import { DomainError } from './domain-error.ts';
import { backendReadiness } from './health.ts';
import { createServiceAppFrom } from './service-app.ts';

const config = { LOG_LEVEL: 'silent', TRUST_PROXY: '' };

describe('createServiceAppFrom', () => {
  it('serves version 1 of the API document under the api path, and readiness of the backends given', async () => {
    const deps = { redis: { ping: async () => 'PONG' }, broker: { check: async () => undefined } };
    const kit = await createServiceAppFrom(config, deps, {
      service: 'kit-test',
      api: 'things',
      description: 'Things.',
      readiness: { ...backendReadiness(deps), store: async () => undefined },
    });
    try {
      const docs = await kit.app.inject({ method: 'GET', url: '/things/docs/json' });
      expect(docs.json().info).toEqual({ title: 'Palaver things', version: '1', description: 'Things.' });
      const ready = await kit.app.inject({ method: 'GET', url: '/readyz' });
      expect(Object.keys(ready.json().checks)).toEqual(['redis', 'broker', 'store']);
      expect('authenticate' in kit).toBe(false);
    } finally {
      await kit.app.close();
    }
  });

  it('returns the authenticate hook of a given token verifier', async () => {
    const verifyAccessToken = async (token: string) => {
      if (token !== 'a.b.c') throw new DomainError('unauthorized', 'The access token is invalid');
      return { userId: 'u1', sessionId: 's1', tokenId: 't1', expiresAt: 0 };
    };
    const kit = await createServiceAppFrom(
      config,
      { verifyAccessToken },
      { service: 'kit-test', api: 'things', description: '' },
    );
    kit.app.get('/things/mine', { onRequest: kit.authenticate }, async (request) => request.principal);
    try {
      const refused = await kit.app.inject({ method: 'GET', url: '/things/mine' });
      expect(refused.statusCode).toBe(401);
      const mine = await kit.app.inject({
        method: 'GET',
        url: '/things/mine',
        headers: { authorization: 'Bearer a.b.c' },
      });
      expect(mine.json()).toMatchObject({ userId: 'u1' });
    } finally {
      await kit.app.close();
    }
  });
});
