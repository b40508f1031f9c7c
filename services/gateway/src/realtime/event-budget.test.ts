import { describe, expect, it } from 'vitest';
import { createEventBudget } from './event-budget.ts';

describe('event budget', () => {
  it('allows a burst, then refills at the rate, and charges by cost', () => {
    let clock = 0;
    const budget = createEventBudget({ perSecond: 10, burst: 5, now: () => clock });
    expect(Array.from({ length: 6 }, () => budget.take())).toEqual([true, true, true, true, true, false]);
    clock += 100; // one token back
    expect(budget.take()).toBe(true);
    expect(budget.take()).toBe(false);
    clock += 10_000; // refills to the burst, not beyond
    expect(budget.take(5)).toBe(true);
    expect(budget.take(1)).toBe(false);
    clock += 300;
    expect(budget.take(4)).toBe(false);
    expect(budget.take(3)).toBe(true);
  });
});
