import multipart from '@fastify/multipart';
import type { Broker, Relay } from '@palaver/events';
import type { Logger } from '@palaver/logger';
import {
  type AccessTokenVerifier,
  backendReadiness,
  createServiceAppFrom,
  type ServiceKit,
} from '@palaver/service-kit';
import type { Redis } from 'ioredis';
import type { Connection } from 'mongoose';
import type { UploadConfig } from './config.ts';
import { allowedTypes } from './domain/content-types.ts';
import { createOrphanSweeper, type OrphanSweeper } from './domain/orphan-sweeper.ts';
import { createUrlSigner } from './domain/signed-urls.ts';
import { createUploadAccess } from './domain/upload-access.ts';
import { createUploadIntake } from './domain/upload-intake.ts';
import { createUploadRateLimit } from './domain/upload-rate-limit.ts';
import { createLinks } from './domain/views.ts';
import { uploadErrors } from './errors.ts';
import { consumeConversationEvents, createUploadEventPublisher } from './events/upload-events.ts';
import { downloadRoutes } from './routes/download-routes.ts';
import { uploadRoutes } from './routes/upload-routes.ts';
import type { BlobStore } from './store/blob-store.ts';
import { createUploadStore } from './store/upload-store.ts';
import { createUploadMetrics } from './upload-metrics.ts';

export type UploadAppConfig = Pick<
  UploadConfig,
  | 'LOG_LEVEL'
  | 'TRUST_PROXY'
  | 'QUEUE_PREFIX'
  | 'RELAY_INTERVAL'
  | 'UPLOAD_MAX_FILE_SIZE'
  | 'UPLOAD_MAX_FILES'
  | 'UPLOAD_QUOTA'
  | 'UPLOAD_RATE_LIMIT'
  | 'UPLOAD_RATE_WINDOW'
  | 'REDIS_PREFIX'
  | 'UPLOAD_ALLOWED_TYPES'
  | 'UPLOAD_URL_SECRET'
  | 'UPLOAD_URL_TTL'
  | 'UPLOAD_PUBLIC_PREFIX'
  | 'ORPHAN_TTL'
  | 'ORPHAN_SWEEP_INTERVAL'
>;

export interface UploadDependencies {
  mongo: Connection;
  /** Upload rate counts; also where ended sessions are listed (read by `verifyAccessToken`). No keyPrefix. */
  redis: Redis;
  broker: Broker;
  blobs: BlobStore;
  verifyAccessToken: AccessTokenVerifier;
  logger?: Logger;
}

export interface UploadApp extends ServiceKit {
  relay: Relay;
  sweeper: OrphanSweeper;
}

/** Builds the upload service from config and connected dependencies; does not listen. */
export async function buildUploadApp(config: UploadAppConfig, deps: UploadDependencies): Promise<UploadApp> {
  const kit = await createServiceAppFrom(config, deps, {
    service: 'upload',
    api: 'uploads',
    description: 'Storing and serving files. Behind the edge every path is prefixed with /api.',
    errors: uploadErrors,
    readiness: { ...backendReadiness(deps), store: () => deps.blobs.check() },
  });
  const { app, authenticate } = kit;
  const logger = app.log as Logger;
  await app.register(multipart);

  const uploads = createUploadStore(deps.mongo);
  const metrics = createUploadMetrics(kit.metrics);
  const signer = createUrlSigner({ secret: config.UPLOAD_URL_SECRET, ttlSeconds: config.UPLOAD_URL_TTL });
  const links = createLinks(signer, config.UPLOAD_PUBLIC_PREFIX);
  const publisher = createUploadEventPublisher({ broker: deps.broker, uploads, logger });
  const intake = createUploadIntake({
    uploads,
    blobs: deps.blobs,
    isAllowed: allowedTypes(config.UPLOAD_ALLOWED_TYPES),
    maxFileSize: config.UPLOAD_MAX_FILE_SIZE,
    quotaBytes: config.UPLOAD_QUOTA,
    onStored: publisher.onStored,
    onBytesReceived: (bytes) => metrics.received.inc(bytes),
  });
  const access = createUploadAccess({ uploads, signer });
  const sweeper = createOrphanSweeper({ uploads, blobs: deps.blobs, ttlSeconds: config.ORPHAN_TTL, logger });

  uploadRoutes(app, {
    intake,
    access,
    links,
    authenticate,
    rateLimit: createUploadRateLimit({
      redis: deps.redis,
      keyPrefix: `${config.REDIS_PREFIX}upload-rate`,
      maxRequests: config.UPLOAD_RATE_LIMIT,
      windowSeconds: config.UPLOAD_RATE_WINDOW,
    }),
    limits: { maxFileSize: config.UPLOAD_MAX_FILE_SIZE, maxFiles: config.UPLOAD_MAX_FILES },
  });
  downloadRoutes(app, { access, blobs: deps.blobs, metrics, authenticate });

  await Promise.all(uploads.models.map((model) => model.init()));
  await consumeConversationEvents({ broker: deps.broker, uploads, queuePrefix: config.QUEUE_PREFIX });

  const relay = publisher.startEventRelay(config.RELAY_INTERVAL * 1000);
  const stopSweeper = sweeper.start(config.ORPHAN_SWEEP_INTERVAL * 1000);
  app.addHook('onClose', async () => {
    await relay.stop();
    await stopSweeper();
  });
  return { ...kit, relay, sweeper };
}
