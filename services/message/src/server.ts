import { Broker } from '@palaver/events';
import { createServiceTokenVerifier, runServer } from '@palaver/service-kit';
import mongoose from 'mongoose';
import { buildMessageApp } from './app.ts';
import { loadMessageConfig } from './config.ts';

runServer({
  service: 'message',
  loadConfig: loadMessageConfig,
  Broker,
  mongoose,
  build: (config, deps) =>
    buildMessageApp(config, { ...deps, verifyAccessToken: createServiceTokenVerifier(config, deps.redis) }),
});
