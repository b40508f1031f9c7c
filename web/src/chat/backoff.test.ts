import { describe, expect, it } from 'vitest';
import { retryBackoff } from './backoff.ts';

describe('retry backoff', () => {
  it('doubles from 1 s to at most 30 s, with the upper half random', () => {
    const low = [0, 1, 2, 3, 4, 5, 10].map((attempt) => retryBackoff(attempt, () => 0));
    const high = [0, 1, 2, 3, 4, 5, 10].map((attempt) => retryBackoff(attempt, () => 1));
    expect(low).toEqual([500, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000]);
    expect(high).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  });
});
