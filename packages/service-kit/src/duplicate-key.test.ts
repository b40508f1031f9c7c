import { describe, expect, it } from 'vitest';
import { insertedUnlessTaken, isDuplicateKey } from './duplicate-key.ts';

const duplicate = Object.assign(new Error('E11000 duplicate key'), { code: 11000 });

describe('insertedUnlessTaken', () => {
  it('is true when the insert went in, false when the key was taken, and rethrows the rest', async () => {
    expect(await insertedUnlessTaken(Promise.resolve({ acknowledged: true }))).toBe(true);
    expect(await insertedUnlessTaken(Promise.reject(duplicate))).toBe(false);
    const outage = new Error('connection closed');
    await expect(insertedUnlessTaken(Promise.reject(outage))).rejects.toBe(outage);
  });
});

describe('isDuplicateKey', () => {
  it('holds for a bulk error only when every failed document was a duplicate', () => {
    expect(isDuplicateKey({ writeErrors: [{ index: 0, code: 11000 }] })).toBe(true);
    expect(
      isDuplicateKey({
        writeErrors: [
          { index: 0, code: 11000 },
          { index: 1, code: 2 },
        ],
      }),
    ).toBe(false);
    expect(isDuplicateKey(null)).toBe(false);
  });
});
