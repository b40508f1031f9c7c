import { Broker } from '@palaver/events';
import { createServiceTokenVerifier, runServer } from '@palaver/service-kit';
import mongoose from 'mongoose';
import { buildUploadApp } from './app.ts';
import { loadUploadConfig } from './config.ts';
import { createFileBlobStore } from './store/file-blob-store.ts';

runServer({
  service: 'upload',
  loadConfig: loadUploadConfig,
  open: async (config) => ({ blobs: await createFileBlobStore(config.UPLOAD_ROOT) }),
  Broker,
  mongoose,
  build: (config, deps) =>
    buildUploadApp(config, { ...deps, verifyAccessToken: createServiceTokenVerifier(config, deps.redis) }),
});
