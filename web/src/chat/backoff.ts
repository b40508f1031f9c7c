/**
 * The wait before the outbox sends again after an overload answer or a lost ack, or the
 * conversation list loads again after a failure: doubling
 * from 1 s up to 30 s, half of it random, so clients refused together do not come back
 * together and pile onto a service that is shedding load.
 */
export function retryBackoff(attempt: number, random = Math.random): number {
  const ceiling = Math.min(30_000, 1_000 * 2 ** attempt);
  return ceiling / 2 + random() * (ceiling / 2);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
