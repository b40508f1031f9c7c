import { Broker } from '@palaver/events';
import { createLogger } from '@palaver/logger';
import { connectBackends, exitOnStartupFailure } from '@palaver/service-kit';
import mongoose from 'mongoose';
import { loadMessageConfig } from './config.ts';
import { replayMessages } from './events/message-replay.ts';

/**
 * `pnpm --filter @palaver/message run replay-messages`: publishes every stored message as
 * `message.snapshot` (see `replayMessages`), with the service's own configuration, then exits.
 */
async function main() {
  const config = loadMessageConfig();
  const logger = createLogger('message-replay', config.LOG_LEVEL);
  const { backends, close } = await connectBackends(config, logger, {
    connectionName: 'message-replay',
    Broker,
    mongoose,
  });
  try {
    const totals = await replayMessages({ mongo: backends.mongo, broker: backends.broker, logger });
    logger.info(totals, 'replayed every stored message');
  } finally {
    await close();
  }
}

main().catch(exitOnStartupFailure('message-replay'));
