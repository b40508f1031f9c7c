import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface GatewayMetrics {
  eventsIn: Counter<'event'>;
  eventsOut: Counter<'event'>;
  deliveryLatency: Histogram;
}

/** The gateway's own series, beside the HTTP and process ones every service has. */
export function createGatewayMetrics(
  registry: Registry,
  probes: { connectedSockets: () => number; queueDepth: () => Promise<number | undefined> },
): GatewayMetrics {
  new Gauge({
    name: 'gateway_connected_sockets',
    help: 'Sockets connected to this replica',
    registers: [registry],
    collect() {
      this.set(probes.connectedSockets());
    },
  });
  new Gauge({
    name: 'gateway_broker_queue_depth',
    help: "Events waiting in this replica's broker queue (consumer lag)",
    registers: [registry],
    async collect() {
      const depth = await probes.queueDepth();
      if (depth !== undefined) this.set(depth);
    },
  });
  return {
    eventsIn: new Counter({
      name: 'gateway_socket_events_received_total',
      help: 'Client→server socket events received, by event name',
      labelNames: ['event'] as const,
      registers: [registry],
    }),
    eventsOut: new Counter({
      name: 'gateway_socket_events_emitted_total',
      help: 'Server→client emits issued by this replica, by event name (one per emit, not per socket)',
      labelNames: ['event'] as const,
      registers: [registry],
    }),
    deliveryLatency: new Histogram({
      name: 'gateway_delivery_latency_seconds',
      help: 'From a message being stored to this replica emitting it to the members',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}
