import { describe, expect, it } from 'vitest';
import { localEventClaims } from './event-claims.ts';

describe('local event claims', () => {
  it('claims an id once, gives it back on release, and forgets the oldest past its memory', async () => {
    const claims = localEventClaims();
    expect(await claims.claim('a')).toBe(true);
    expect(await claims.claim('a')).toBe(false);
    await claims.release('a');
    expect(await claims.claim('a')).toBe(true);
    for (let i = 0; i < 10_000; i++) await claims.claim(`e${i}`);
    expect(await claims.claim('a')).toBe(true); // the oldest was forgotten
    expect(await claims.claim('e9999')).toBe(false);
  });
});
