import { describe, expect, it } from 'vitest';
import { queueTimeLimit, requestStartHeader, requestStartOf } from './queue-time-limit.ts';

const requestWith = (value?: string) =>
  ({ headers: value === undefined ? {} : { 'x-request-start': value } }) as never;

describe('queueTimeLimit', () => {
  it("reads nginx's seconds and plain milliseconds, and nothing else", () => {
    expect(requestStartOf('t=1796175579.123')).toBe(1796175579123);
    expect(requestStartOf('t=1796175579123')).toBe(1796175579123);
    expect(requestStartOf(requestStartHeader(1796175579123))).toBe(1796175579123);
    for (const bad of ['1796175579', 't=', 't=abc', 't=1e9', undefined])
      expect(requestStartOf(bad)).toBeUndefined();
  });

  it('refuses a request older than the limit with 503 and Retry-After, and passes fresh or unstamped ones', async () => {
    const limit = queueTimeLimit(1_000);
    await expect(limit(requestWith(requestStartHeader(Date.now() - 1_500)))).rejects.toMatchObject({
      code: 'unavailable',
      retryAfterSeconds: 1,
    });
    await expect(limit(requestWith(requestStartHeader(Date.now() - 100)))).resolves.toBeUndefined();
    await expect(limit(requestWith())).resolves.toBeUndefined();
    await expect(queueTimeLimit(0)(requestWith(requestStartHeader(0)))).resolves.toBeUndefined();
  });
});
