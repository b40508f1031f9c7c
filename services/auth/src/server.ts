import { Broker } from '@palaver/events';
import { runServer } from '@palaver/service-kit';
import mongoose from 'mongoose';
import { buildAuthApp } from './app.ts';
import { loadAuthConfig } from './config.ts';
import { loadKeyRing } from './domain/signing-keys.ts';

runServer({
  service: 'auth',
  loadConfig: loadAuthConfig,
  // Before connecting: a keys folder without a usable key fails the start at once.
  open: async (config) => ({ keyRing: await loadKeyRing(config.JWT_KEYS_DIR, config.JWT_ACTIVE_KID) }),
  Broker,
  mongoose,
  redisRetries: 2,
  build: buildAuthApp,
});
