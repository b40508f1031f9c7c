import { createLogger, type Logger } from '@palaver/logger';
import {
  type Backends,
  type BackendsConfig,
  type BackendsOptions,
  type BrokerConnection,
  connectBackends,
  type MongoConnection,
} from './connect-backends.ts';
import { exitOnStartupFailure, runUntilSignalled } from './lifecycle.ts';
import type { ServiceKit } from './service-app.ts';

export interface ServerConfig extends BackendsConfig {
  HOST: string;
  PORT: number;
  LOG_LEVEL: string;
}

export interface ServerSpec<
  C extends ServerConfig,
  B extends BrokerConnection,
  M extends MongoConnection,
  O extends object,
> extends Omit<BackendsOptions<B, M>, 'connectionName'> {
  /** Names the logger, the broker connection and the line a failed start prints. */
  service: string;
  loadConfig: () => C;
  /** What the service opens of its own, before the shared backends (its keys, blob store, database). */
  open?: (config: C) => O | Promise<O>;
  /** Closes what `open` opened, with the shared backends, once the app has closed. */
  close?: (own: O) => Promise<unknown>;
  /** Builds the app from the connected backends and the service's own; does not listen. */
  build: (
    config: C,
    deps: Backends<B, M> & O & { logger: Logger },
  ) => Promise<Pick<ServiceKit, 'app' | 'health'>>;
}

/**
 * A service's server process: config, logger, what the service opens of its own, the
 * shared backends, the app; then it serves until SIGTERM/SIGINT and closes the app
 * before the backends. A start that fails ends the process with one line on stderr.
 */
export function runServer<
  C extends ServerConfig,
  B extends BrokerConnection,
  M extends MongoConnection = never,
  O extends object = Record<never, never>,
>(spec: ServerSpec<C, B, M, O>): void {
  startServer(spec).catch(exitOnStartupFailure(spec.service));
}

async function startServer<
  C extends ServerConfig,
  B extends BrokerConnection,
  M extends MongoConnection,
  O extends object,
>(spec: ServerSpec<C, B, M, O>) {
  const config = spec.loadConfig();
  const logger = createLogger(spec.service, config.LOG_LEVEL);
  const own = spec.open ? await spec.open(config) : ({} as O);
  const { backends, close } = await connectBackends(config, logger, {
    connectionName: spec.service,
    Broker: spec.Broker,
    mongoose: spec.mongoose,
    redisRetries: spec.redisRetries,
  });

  const { app, health } = await spec.build(config, { ...backends, ...own, logger });
  await runUntilSignalled({
    logger,
    health,
    start: async () => {
      await app.listen({ host: config.HOST, port: config.PORT });
    },
    stop: async () => {
      await app.close();
      await Promise.allSettled([close(), spec.close?.(own)]);
    },
  });
}
