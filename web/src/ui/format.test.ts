import { describe, expect, it } from 'vitest';
import { lastSeen, timeOfDay } from './format.ts';

describe('display formats', () => {
  const afternoon = new Date(2026, 11, 2, 14, 59).toISOString();

  it('writes the time of day without a leading zero on the hour', () => {
    const early = new Date(2026, 11, 2, 2, 5).toISOString();
    expect(timeOfDay(early)).toMatch(/^2\D05/);
    expect(timeOfDay(afternoon)).toMatch(/^(2|14)\D59/);
  });

  it('says on which day someone was last seen', () => {
    const now = new Date(2026, 11, 2, 18, 0);
    expect(lastSeen(afternoon, now)).toBe(`last seen today at ${timeOfDay(afternoon)}`);
    expect(lastSeen(afternoon, new Date(2026, 11, 3, 9, 0))).toBe(
      `last seen yesterday at ${timeOfDay(afternoon)}`,
    );
    const older = lastSeen(afternoon, new Date(2026, 11, 9, 9, 0));
    expect(older).toMatch(/^last seen on .*Dec.* at /);
    expect(lastSeen(afternoon, new Date(2027, 0, 20))).toMatch(/2026/);
  });
});
