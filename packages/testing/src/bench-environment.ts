import { type Infrastructure, provisionInfrastructure } from './infrastructure.ts';
import { dropMongoDatabase, type IsolatedEnvironment, isolatedNames } from './isolated-names.ts';
import { type ServiceProcess, startServiceProcess } from './process-tools.ts';
import { markRevocationListComplete } from './revocation-list.ts';
import { createTestTokenIssuer, type TestTokenIssuer } from './test-tokens.ts';

/** What a benchmark runs on; `close` stops and drops all it started, newest first. */
export interface BenchEnvironment {
  infra: Infrastructure;
  /** Stands in for auth: tokens it mints are accepted by services given `jwksUrl`. */
  issuer: TestTokenIssuer;
  jwksUrl: string;
  /**
   * Names of its own on the infrastructure (as a test file's, under `bench`), on `mongoUrl`
   * if given; auth's revocation list there is marked complete, the database dropped on close.
   */
  isolate: (label: string, mongoUrl?: string) => Promise<IsolatedEnvironment>;
  /** `startServiceProcess`, the process stopped on close. */
  start: (entry: string, env: Record<string, string>) => Promise<ServiceProcess>;
  /** Runs `undo` on close (before what was set up earlier). */
  onClose: (undo: () => Promise<unknown>) => void;
  close: () => Promise<void>;
}

/** The project's infrastructure (found or started, as for the tests) and a token issuer, for a benchmark. */
export async function openBenchEnvironment(): Promise<BenchEnvironment> {
  const { infra, stop } = await provisionInfrastructure();
  const issuer = createTestTokenIssuer();
  const jwks = await issuer.serve();
  const undo: Array<() => Promise<unknown>> = [stop, jwks.close];
  const onClose = (step: () => Promise<unknown>) => {
    undo.push(step);
  };
  return {
    infra,
    issuer,
    jwksUrl: jwks.url,
    isolate: async (label, mongoUrl = infra.mongoUrl) => {
      const env = isolatedNames({ ...infra, mongoUrl }, label, 'bench');
      await markRevocationListComplete(env);
      onClose(() => dropMongoDatabase(env.mongoDatabaseUrl));
      return env;
    },
    start: async (entry, env) => {
      const service = await startServiceProcess(entry, env);
      onClose(() => service.stop());
      return service;
    },
    onClose,
    close: async () => {
      for (const step of undo.reverse()) await step().catch((error: unknown) => console.warn(error));
      undo.length = 0;
    },
  };
}
