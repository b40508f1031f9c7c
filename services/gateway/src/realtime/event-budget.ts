/**
 * A token bucket per socket for every client event, so no connection can make the
 * gateway call the message service without bound (`sync` costs more the more it asks).
 * In memory: a socket lives on one replica. Sends have their own per-user bucket in Redis.
 */
export interface EventBudget {
  /** Takes `cost` tokens if there are enough; false means "rate_limited". */
  take(cost?: number): boolean;
}

export function createEventBudget(options: {
  perSecond: number;
  burst: number;
  now?: () => number;
}): EventBudget {
  const now = options.now ?? Date.now;
  let tokens = options.burst;
  let at = now();
  return {
    take(cost = 1) {
      const t = now();
      tokens = Math.min(options.burst, tokens + ((t - at) / 1000) * options.perSecond);
      at = t;
      if (tokens < cost) return false;
      tokens -= cost;
      return true;
    },
  };
}
