import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

// Types only: this module never loads vitest, so benchmarks can import it.
declare module 'vitest' {
  export interface ProvidedContext {
    infra: Infrastructure;
  }
}

/** Where the real backing servers of a test run are. */
export interface Infrastructure {
  mongoUrl: string;
  redisUrl: string;
  amqpUrl: string;
  /** PostgreSQL (superuser, no database in the URL) for services that keep an index there (search). */
  postgresUrl: string;
  /** How they were obtained, for the test log. */
  source: 'environment' | 'testcontainers' | 'local-stack';
}

const palaverCli = fileURLToPath(new URL('../../../infra/local/palaver', import.meta.url));

async function dockerReachable(): Promise<boolean> {
  try {
    await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

async function startContainers(): Promise<{ infra: Infrastructure; stop: () => Promise<void> }> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const [mongo, redis, rabbit, postgres] = await Promise.all([
    new GenericContainer('mongo:7').withExposedPorts(27017).start(),
    new GenericContainer('redis:7-alpine').withExposedPorts(6379).start(),
    new GenericContainer('rabbitmq:3.13-alpine')
      .withExposedPorts(5672)
      .withWaitStrategy(Wait.forLogMessage('Server startup complete'))
      .start(),
    new GenericContainer('postgres:16')
      .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust', POSTGRES_INITDB_ARGS: '--locale=C.UTF-8' })
      .withExposedPorts(5432)
      .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
      .start(),
  ]);
  return {
    infra: {
      mongoUrl: `mongodb://${mongo.getHost()}:${mongo.getMappedPort(27017)}`,
      redisUrl: `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`,
      amqpUrl: `amqp://guest:guest@${rabbit.getHost()}:${rabbit.getMappedPort(5672)}`,
      postgresUrl: `postgres://postgres@${postgres.getHost()}:${postgres.getMappedPort(5432)}`,
      source: 'testcontainers',
    },
    stop: async () => {
      await Promise.all([mongo.stop(), redis.stop(), rabbit.stop(), postgres.stop()]);
    },
  };
}

/**
 * Finds or starts MongoDB(-compatible), Redis, RabbitMQ and PostgreSQL for a test run: URLs from
 * PALAVER_TEST_* variables, else testcontainers when a Docker engine answers, else the
 * project's local stack (installed and started on demand, left running for the next run).
 */
export async function provisionInfrastructure(): Promise<{
  infra: Infrastructure;
  stop: () => Promise<void>;
}> {
  const { PALAVER_TEST_MONGO_URL, PALAVER_TEST_REDIS_URL, PALAVER_TEST_AMQP_URL, PALAVER_TEST_POSTGRES_URL } =
    process.env;
  if (PALAVER_TEST_MONGO_URL && PALAVER_TEST_REDIS_URL && PALAVER_TEST_AMQP_URL) {
    const infra: Infrastructure = {
      mongoUrl: PALAVER_TEST_MONGO_URL,
      redisUrl: PALAVER_TEST_REDIS_URL,
      amqpUrl: PALAVER_TEST_AMQP_URL,
      // Only the search tests need it; they say so when it is missing.
      postgresUrl: PALAVER_TEST_POSTGRES_URL ?? '',
      source: 'environment',
    };
    return { infra, stop: async () => {} };
  }
  if (await dockerReachable()) return startContainers();

  await run('bash', [palaverCli, 'infra', 'start'], { timeout: 10 * 60_000 });
  const { stdout } = await run('bash', [palaverCli, 'env'], { timeout: 30_000 });
  const env = Object.fromEntries(
    stdout
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  const infra: Infrastructure = {
    mongoUrl: env.MONGO_URL as string,
    redisUrl: env.REDIS_URL as string,
    amqpUrl: env.AMQP_URL as string,
    postgresUrl: env.POSTGRES_URL as string,
    source: 'local-stack',
  };
  return { infra, stop: async () => {} };
}
