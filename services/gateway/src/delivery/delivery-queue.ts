import type { Broker, ConsumerSpec } from '@palaver/events';
import { type FanoutMode, fanoutBindings } from './event-fanout.ts';

/**
 * Where this replica's deliveries come from: a queue of its own
 * (`<prefix>.replica.<REPLICA_ID>`), which outlives a dropped broker connection — what was
 * published while it reconnected is delivered after — and is deleted `expiryMs` after the
 * replica is gone; or one queue shared by every replica (`<prefix>.deliveries`).
 */
export function deliveryQueue(options: {
  mode: FanoutMode;
  queuePrefix: string;
  replicaId: string;
  expiryMs: number;
}) {
  const own = options.mode === 'replica-queue';
  const name = own
    ? `${options.queuePrefix}.replica.${options.replicaId}`
    : `${options.queuePrefix}.deliveries`;
  return {
    name,
    consume: (broker: Broker, handle: ConsumerSpec['handle']) =>
      broker.consume({
        queue: name,
        bindings: [...fanoutBindings],
        ...(own ? { ownQueueExpiresAfterMs: options.expiryMs } : {}),
        prefetch: 500,
        handle,
      }),
  };
}
