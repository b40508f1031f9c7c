import type { EventData } from '@palaver/contracts';
import type { Broker } from '@palaver/events';
import type { Counter } from 'prom-client';
import { indexRowOf, type SearchIndex } from '../store/search-index.ts';

/** Every state of a message, as sent, changed, or republished for a rebuild (`message.snapshot`). */
const indexedEvents = ['message.created', 'message.updated', 'message.deleted', 'message.snapshot'] as const;

/**
 * Feeds the index from the message service's events, on a durable queue of the service
 * (replicas compete on it). Every event carries the whole message state, applied by id
 * with "newer state wins" (see `SearchIndex.apply`), so redelivery and reordering are
 * harmless. Membership events are not needed: membership is asked at query time.
 */
export async function consumeMessageEvents(deps: {
  broker: Broker;
  index: SearchIndex;
  queuePrefix: string;
  indexed: Counter<'type'>;
}) {
  await deps.broker.consume({
    queue: `${deps.queuePrefix}.messages`,
    bindings: [...indexedEvents],
    prefetch: 200,
    handle: async (event) => {
      const { message } = event.data as EventData<'message.created'>;
      if (message.kind === 'system') return;
      await deps.index.apply([indexRowOf(message)]);
      deps.indexed.inc({ type: event.type });
    },
  });
}
