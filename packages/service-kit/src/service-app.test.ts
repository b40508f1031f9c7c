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
  kit.app.get('/store-down', async () => {
    // What FerretDB answers while its PostgreSQL backend is down (seen by stopping it).
    throw Object.assign(
      new Error('[msg_insert.go:168] failed to connect to `user=postgres database=ferretdb`: dial error'),
      { name: 'MongoServerError', code: 1, codeName: 'InternalError' },
    );
  });
  kit.app.get('/bug', async () => {
    throw Object.assign(new Error('something else went wrong'), { name: 'MongoServerError', code: 1 });
  });
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

  it("answers 503 with Retry-After when the store's backend is down, and 500 for other store errors", async () => {
    const down = await kit.app.inject({ method: 'GET', url: '/store-down' });
    expect(down.statusCode).toBe(503);
    expect(down.headers['retry-after']).toBe('1');
    expect(down.json()).toMatchObject({ error: { code: 'unavailable' } });
    const bug = await kit.app.inject({ method: 'GET', url: '/bug' });
    expect(bug.statusCode).toBe(500);
    expect(bug.json()).toMatchObject({ error: { code: 'internal' } });
  });

  it('refuses bodies that are not JSON with 415 and broken JSON with 400, in the same shape', async () => {
    const post = (contentType: string, payload: string) =>
      kit.app.inject({ method: 'POST', url: '/things', headers: { 'content-type': contentType }, payload });
    const text = await post('text/plain', '{"a":1}');
    expect(text.statusCode).toBe(415);
    expect(text.json()).toMatchObject(errorShape);
    const broken = await post('application/json', '{"a":');
    expect(broken.statusCode).toBe(400);
    expect(broken.json()).toMatchObject({ error: { code: 'invalid_request' } });
    const poisoned = await post('application/json', '{"__proto__":{"admin":true}}');
    expect(poisoned.statusCode).toBe(400);
    expect(poisoned.json()).toMatchObject(errorShape);
  });
});
