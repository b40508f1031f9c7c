import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServiceApp, type ServiceKit } from './service-app.ts';

let kit: ServiceKit;
beforeAll(async () => {
  kit = await createServiceApp({
    service: 'kit-test',
    logger: 'silent',
    openapi: { title: 'test', version: '1', docsPath: '/docs/json' },
  });
  kit.app.get('/things/:id', async (request) => ({ id: (request.params as { id: string }).id }));
  kit.app.post('/things', async (request) => request.body as object);
  await kit.app.ready();
});
afterAll(() => kit.app.close());

const errorShape = { error: { code: expect.any(String), message: expect.any(String) } };

describe('the service app', () => {
  it('answers in the one error shape what the router refuses before any route runs', async () => {
    const long = await kit.app.inject({ method: 'GET', url: `/things/${'x'.repeat(150)}` });
    expect(long.statusCode).toBe(414);
    expect(long.json()).toEqual({
      error: { code: 'invalid_request', message: 'A path segment is too long' },
    });
    const malformed = await kit.app.inject({ method: 'GET', url: '/things/%E0%A4%A' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject(errorShape);
    const unknown = await kit.app.inject({ method: 'GET', url: '/nothing-here' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('refuses bodies that are not JSON with 415 and broken JSON with 400, in the same shape', async () => {
    const text = await kit.app.inject({
      method: 'POST',
      url: '/things',
      headers: { 'content-type': 'text/plain' },
      payload: '{"a":1}',
    });
    expect(text.statusCode).toBe(415);
    expect(text.json()).toMatchObject(errorShape);
    const broken = await kit.app.inject({
      method: 'POST',
      url: '/things',
      headers: { 'content-type': 'application/json' },
      payload: '{"a":',
    });
    expect(broken.statusCode).toBe(400);
    expect(broken.json()).toMatchObject({ error: { code: 'invalid_request' } });
    const poisoned = await kit.app.inject({
      method: 'POST',
      url: '/things',
      headers: { 'content-type': 'application/json' },
      payload: '{"__proto__":{"admin":true}}',
    });
    expect(poisoned.statusCode).toBe(400);
    expect(poisoned.json()).toMatchObject(errorShape);
  });
});
