/// <reference path="./mongodb-connection-string-url.d.ts" />
import {
  type CleanedEnv,
  cleanEnv,
  EnvError,
  EnvMissingError,
  makeValidator,
  port,
  str,
  url,
  type ValidatorSpec,
} from 'envalid';
import { ConnectionString } from 'mongodb-connection-string-url';

export { bool, num, port, str, url } from 'envalid';

/** A configuration problem, reported as one line that names the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Spec = { [key: string]: ValidatorSpec<unknown> };

/**
 * Validates the environment against `spec` and returns a typed config. Throws
 * ConfigError naming every bad or missing variable instead of exiting, so the caller
 * decides how to stop (server entries print the line and exit 1).
 */
export function loadConfig<S extends Spec>(
  spec: S,
  env: Record<string, string | undefined> = process.env,
): CleanedEnv<S> {
  return cleanEnv(env, spec, {
    reporter: ({ errors }) => {
      const problems = Object.entries(errors).map(([name, error]) =>
        error instanceof EnvMissingError
          ? `${name} is missing`
          : `${name}=${JSON.stringify(env[name])} is invalid: ${error instanceof EnvError ? error.message : String(error)}`,
      );
      if (problems.length > 0) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
    },
  });
}

const unitSeconds: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Parses `30s`, `15m`, `12h`, `7d` into seconds. */
export function parseDuration(input: string): number {
  const match = /^(\d+)([smhd])$/.exec(input.trim());
  if (!match) throw new EnvError('expected a duration such as 30s, 15m, 12h or 7d');
  return Number(match[1]) * (unitSeconds[match[2] as string] ?? 1);
}

/** An env validator for durations; the value is in seconds. */
export const duration = makeValidator<number>(parseDuration);

/**
 * A MongoDB connection string naming a database: `mongodb://host[:port][,host…]/db` (a
 * replica set lists several hosts, which a plain URL validator rejects) or `mongodb+srv://`.
 * Parsed by the driver's own connection-string parser.
 */
export const mongoUrl = makeValidator<string>((input) => {
  let parsed: ConnectionString;
  try {
    parsed = new ConnectionString(input);
  } catch (error) {
    throw new EnvError(`not a MongoDB connection string: ${(error as Error).message}`);
  }
  if (parsed.pathname.length <= 1)
    throw new EnvError('the connection string must name the database (…/palaver)');
  return input;
});

/*
 * Variables every service reads the same way, as spec fragments to spread into a service's
 * own spec, so a name, default or check is defined once.
 */

/** Where and how a service listens and logs. */
export const listenSpec = (defaultPort: number) => ({
  HOST: str({ default: '127.0.0.1', desc: 'Interface to listen on' }),
  PORT: port({ default: defaultPort }),
  LOG_LEVEL: str({
    default: 'info',
    choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
  }),
  TRUST_PROXY: str({ default: '', desc: 'Addresses of the edge whose X-Forwarded-For is trusted' }),
});

export const mongoSpec = {
  MONGO_URL: mongoUrl({
    desc: 'MongoDB connection string naming the database; several hosts for a replica set',
  }),
};

/** The event bus, for a service that only publishes (declares no queues). */
export const brokerConnectionSpec = {
  AMQP_URL: url(),
  BROKER_EXCHANGE: str({ default: 'palaver.events' }),
};

/** The event bus, and the prefix of the queues this service declares. */
export const brokerSpec = (defaultQueuePrefix: string) => ({
  ...brokerConnectionSpec,
  QUEUE_PREFIX: str({ default: defaultQueuePrefix }),
});

/** Redis, shared by the replicas of every service. */
export const redisSpec = {
  REDIS_URL: url(),
  REDIS_PREFIX: str({
    default: 'palaver:',
    desc: "Start of every Redis key; one value per deployment, as services read each other's (ended sessions)",
  }),
};

/** The claims every service checks on an access token (auth also signs with them). */
export const tokenClaimsSpec = {
  JWT_ISSUER: str({ default: 'palaver-auth' }),
  JWT_AUDIENCE: str({ default: 'palaver' }),
};

/** Verifying access tokens with auth's public keys. */
export const tokenVerifierSpec = {
  JWKS_URL: url({ desc: "The auth service's JWKS, e.g. http://127.0.0.1:4001/auth/.well-known/jwks.json" }),
  ...tokenClaimsSpec,
};

/**
 * The broker, Redis and auth's keys, in that order: what a service that consumes events
 * and verifies access tokens reaches, beside its own store.
 */
export const backendsSpec = (defaultQueuePrefix: string) => ({
  ...brokerSpec(defaultQueuePrefix),
  ...redisSpec,
  ...tokenVerifierSpec,
});
