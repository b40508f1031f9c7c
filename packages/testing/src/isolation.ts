import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import type { Infrastructure } from './infrastructure.ts';

/** Names no other test file uses, so files run in parallel without seeing each other. */
export interface IsolatedEnvironment extends Infrastructure {
  /** `mongoUrl` with a database of this file's own. */
  mongoDatabaseUrl: string;
  database: string;
  /** `postgresUrl` with a database of this file's own (created by whoever uses it). */
  postgresDatabaseUrl: string;
  redisPrefix: string;
  exchange: string;
  queuePrefix: string;
}

export function isolatedEnvironment(label: string): IsolatedEnvironment {
  const infra = inject('infra');
  const id = `${label.replace(/[^a-z0-9]/gi, '').slice(0, 20)}_${randomBytes(4).toString('hex')}`;
  const url = new URL(infra.mongoUrl);
  url.pathname = `/test_${id}`;
  return {
    ...infra,
    mongoDatabaseUrl: url.toString(),
    database: `test_${id}`,
    postgresDatabaseUrl: infra.postgresUrl
      ? `${infra.postgresUrl.replace(/\/+$/, '')}/test_${id.toLowerCase()}`
      : '',
    redisPrefix: `test:${id}:`,
    exchange: `test.${id}.events`,
    queuePrefix: `test.${id}`,
  };
}
