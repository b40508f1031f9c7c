import { Counter, type Registry } from 'prom-client';

/** Byte counters beside the kit's request histogram, on the app's own registry. */
export function createUploadMetrics(registry: Registry) {
  const received = new Counter({
    name: 'upload_bytes_received_total',
    help: 'Bytes of files accepted by POST /uploads',
    registers: [registry],
  });
  const served = new Counter({
    name: 'upload_bytes_served_total',
    help: 'Bytes of files streamed to clients in full or in part',
    labelNames: ['variant'] as const,
    registers: [registry],
  });
  return { received, served };
}

export type UploadMetrics = ReturnType<typeof createUploadMetrics>;
