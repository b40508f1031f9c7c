import type { Types } from 'mongoose';

/** Logs whose last known number a process keeps, as a start for probing. */
const hintedLogs = 10_000;
/** Claims of the next number lost to concurrent writers before giving up. */
const maxClaims = 50;

/**
 * Numbers the entries of many logs (one per key: a conversation's changes, a thread's
 * replies) from 1 without gaps, on a store whose only atomic step is a unique insert.
 *
 * Number n is claimed by inserting the entry under a unique id, and only after n - 1 was
 * seen stored, so a log always holds 1..head with none missing, and a reader that has seen
 * n has seen every entry before it.
 */
export function createGaplessNumbers(exists: (key: Types.ObjectId, n: number) => Promise<boolean>) {
  /**
   * A lower bound of each log's head (any stored number is one, the numbers being gapless),
   * so finding the head probes a few ids forward, not the whole log.
   */
  const hints = new Map<string, number>();
  const remember = (key: Types.ObjectId, n: number) => {
    const name = key.toHexString();
    if ((hints.get(name) ?? 0) >= n) return;
    hints.delete(name);
    hints.set(name, n);
    if (hints.size > hintedLogs) hints.delete(hints.keys().next().value as string);
  };

  /** The highest number stored: doubling from the hint, then bisecting. */
  async function head(key: Types.ObjectId): Promise<number> {
    let low = hints.get(key.toHexString()) ?? 0;
    let step = 1;
    while (await exists(key, low + step)) {
      low += step;
      step *= 2;
    }
    let high = low + step;
    while (high - low > 1) {
      const mid = Math.floor((low + high) / 2);
      if (await exists(key, mid)) low = mid;
      else high = mid;
    }
    remember(key, low);
    return low;
  }

  /**
   * Stores the next entry of a log: `insert(n)` is the unique insert of entry n, false when
   * n was taken. When a claim is lost, `settled()` may say the entry was numbered meanwhile
   * (by a concurrent twin of this call): its number is then the answer.
   */
  async function claim(
    key: Types.ObjectId,
    insert: (n: number) => Promise<boolean>,
    settled: () => Promise<number | null> = async () => null,
  ): Promise<number> {
    for (let attempt = 0; attempt < maxClaims; attempt++) {
      const n = (await head(key)) + 1;
      if (await insert(n)) {
        remember(key, n);
        return n;
      }
      const numbered = await settled();
      if (numbered !== null) return numbered;
      // Someone else took it: back off a little at random, so racers spread out.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 ** attempt)));
    }
    throw new Error(`could not number an entry of log ${key.toHexString()}`);
  }

  return { head, claim };
}
