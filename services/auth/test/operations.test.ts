import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthHarness, startAuth } from './auth-harness.ts';

let auth: AuthHarness;
beforeAll(async () => {
  auth = await startAuth('operations');
});
afterAll(() => auth.close());

describe('operability', () => {
  it('/healthz answers while the process lives', async () => {
    const response = await auth.app.inject({ method: 'GET', url: '/healthz' });
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('/readyz checks MongoDB, Redis and the broker', async () => {
    const response = await auth.app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ready', checks: { mongo: 'ok', redis: 'ok', broker: 'ok' } });
  });

  it('/readyz is 503 naming the failing dependency when the broker is unreachable', async () => {
    const cutOff = await startAuth('operations', { sameAs: auth, amqpUrl: 'amqp://127.0.0.1:1' });
    try {
      const response = await cutOff.app.inject({ method: 'GET', url: '/readyz' });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({
        status: 'unready',
        checks: { mongo: 'ok', broker: expect.stringMatching(/^failing/) },
      });
    } finally {
      await cutOff.close();
    }
  });

  it('/readyz turns unready while draining', async () => {
    auth.health.draining = true;
    try {
      const response = await auth.app.inject({ method: 'GET', url: '/readyz' });
      expect(response.statusCode).toBe(503);
      expect(response.json().status).toBe('draining');
    } finally {
      auth.health.draining = false;
    }
  });

  it('/metrics exposes Prometheus text with request durations by route', async () => {
    await auth.app.inject({ method: 'POST', url: '/auth/login', payload: {} });
    const response = await auth.app.inject({ method: 'GET', url: '/metrics' });
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    const loginCount = response.body
      .split('\n')
      .find(
        (line) =>
          line.startsWith('http_request_duration_seconds_count{') && line.includes('route="/auth/login"'),
      );
    expect(loginCount).toMatch(/method="POST"/);
    expect(loginCount).toMatch(/status_code="400"/);
    expect(loginCount).toMatch(/service="auth"/);
    expect(Number(loginCount?.split(' ').at(-1))).toBeGreaterThanOrEqual(1);
    expect(response.body).toContain('process_resident_memory_bytes');
  });

  it('keeps a sane incoming x-request-id and replaces an unsafe one', async () => {
    const kept = await auth.app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'edge-123' },
    });
    expect(kept.headers['x-request-id']).toBe('edge-123');
    const replaced = await auth.app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'a b\nc' },
    });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers unknown routes with the error shape', async () => {
    const response = await auth.app.inject({ method: 'GET', url: '/auth/nope' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: { code: 'not_found', message: 'No route for GET /auth/nope' } });
  });

  it('serves OpenAPI generated from the shared schemas', async () => {
    const response = await auth.app.inject({ method: 'GET', url: '/auth/docs/json' });
    expect(response.statusCode).toBe(200);
    const spec = response.json();
    expect(spec.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.paths).sort()).toEqual([
      '/auth/.well-known/jwks.json',
      '/auth/login',
      '/auth/logout',
      '/auth/me',
      '/auth/refresh',
      '/auth/register',
      '/users',
      '/users/lookup',
      '/users/{id}',
    ]);
    expect(
      spec.paths['/auth/register'].post.requestBody.content['application/json'].schema.properties.username,
    ).toMatchObject({
      minLength: 3,
      maxLength: 32,
    });
  });
});
