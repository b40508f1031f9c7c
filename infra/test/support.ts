import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { authConfigSpec, loadAuthConfig } from '../../services/auth/src/config.ts';
import { gatewayConfigSpec, loadGatewayConfig } from '../../services/gateway/src/config.ts';
import { loadMessageConfig, messageConfigSpec } from '../../services/message/src/config.ts';
import { loadSearchConfig, searchConfigSpec } from '../../services/search/src/config.ts';
import { loadUploadConfig, uploadConfigSpec } from '../../services/upload/src/config.ts';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const repoPath = (...parts: string[]) => join(repoRoot, ...parts);
export const readText = (...parts: string[]) => readFileSync(repoPath(...parts), 'utf8');
export const exists = (...parts: string[]) => existsSync(repoPath(...parts));

export type Json = Record<string, unknown>;

/** One YAML document; `<<` merge keys resolved (compose uses them). */
export function readYaml(...parts: string[]): Json {
  return parse(readText(...parts), { merge: true }) as Json;
}

/** Every document of a multi-document YAML file, with the file name for messages. */
export function readYamlDocuments(...parts: string[]): Json[] {
  return parseAllDocuments(readText(...parts), { merge: true }).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${parts.join('/')}: ${doc.errors[0]?.message}`);
    return doc.toJS() as Json;
  });
}

export function listFiles(dir: string, suffix: string): string[] {
  return readdirSync(repoPath(dir))
    .filter((name) => name.endsWith(suffix))
    .sort();
}

type ConfigSpec = Record<string, object>;

/** Each service: its config spec and loader (services/<name>/src/config.ts), port and metrics port. */
export const services = {
  auth: { spec: authConfigSpec as ConfigSpec, load: loadAuthConfig, port: 4001 },
  message: { spec: messageConfigSpec as ConfigSpec, load: loadMessageConfig, port: 4002 },
  upload: { spec: uploadConfigSpec as ConfigSpec, load: loadUploadConfig, port: 4003 },
  gateway: { spec: gatewayConfigSpec as ConfigSpec, load: loadGatewayConfig, port: 4004 },
  search: { spec: searchConfigSpec as ConfigSpec, load: loadSearchConfig, port: 4005 },
} as const;
export type ServiceName = keyof typeof services;
export const serviceNames = Object.keys(services) as ServiceName[];

/** Variables a service cannot start without: those its spec gives no default. */
export function requiredKeys(name: ServiceName): string[] {
  return Object.entries(services[name].spec)
    .filter(([, validator]) => !('default' in validator) && !('devDefault' in validator))
    .map(([key]) => key);
}

/** Runs the service's own config loader; returns its one-line error, or undefined when valid. */
export function configError(name: ServiceName, env: Record<string, string>): string | undefined {
  try {
    services[name].load(env);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * What is wrong with `env` as service `name`'s environment, wherever it is deployed: a
 * required variable unset, a value its own loader refuses, a PORT other than the one the
 * edge and Prometheus expect.
 */
export function environmentProblems(
  name: ServiceName,
  env: Record<string, string | undefined>,
  /** How the deployment's own check words a required variable left out. */
  unset = 'is not set',
): string[] {
  const problems = requiredKeys(name)
    .filter((key) => !env[key])
    .map((key) => `required ${key} ${unset}`);
  const error = configError(name, env as Record<string, string>);
  if (error) problems.push(error);
  const { port } = services[name];
  if (env.PORT !== String(port)) problems.push(`PORT is ${env.PORT}, the edge and Prometheus expect ${port}`);
  return problems;
}

/** KEY=value lines of a dotenv file (comments and blanks skipped). */
export function parseDotenv(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) vars.set(match[1] as string, match[2] as string);
  }
  return vars;
}

/** Durations as the services' config reads them (`10s`, `2m`) or bare seconds. */
export function seconds(value: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(value.trim());
  if (!match) throw new Error(`not a duration: ${value}`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as string] ?? 1;
  return Number(match[1]) * unit;
}

/** nginx sizes (`64k`, `256m`, `1g`) in bytes. */
export function nginxSize(value: string): number {
  const match = /^(\d+)([kmg]?)$/i.exec(value.trim());
  if (!match) throw new Error(`not an nginx size: ${value}`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(match[2] as string).toLowerCase()] ?? 1;
  return Number(match[1]) * unit;
}

/**
 * Metric series the code base registers with prom-client (services and the service kit),
 * histograms with their _bucket/_count/_sum series, plus Prometheus' own `up` and the
 * default process metrics every service exports.
 */
export function knownMetrics(): Set<string> {
  const names = new Set(['up', 'process_resident_memory_bytes', 'process_cpu_seconds_total']);
  const roots = ['packages/service-kit/src', ...serviceNames.map((name) => `services/${name}/src`)];
  for (const root of roots) {
    for (const file of readdirSync(repoPath(root), { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
      const source = readText(root, file);
      for (const match of source.matchAll(
        /new (Counter|Gauge|Histogram|Summary)\(\{\s*name:\s*'([a-z_:]+)'/g,
      )) {
        const [, type, name] = match as unknown as [string, string, string];
        names.add(name);
        if (type === 'Histogram' || type === 'Summary') {
          for (const suffix of ['_bucket', '_count', '_sum']) names.add(name + suffix);
        }
      }
    }
  }
  return names;
}

const promqlWords = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'bool', 'offset']);

/** Metric names a PromQL expression reads (labels, strings, ranges and function names left out). */
export function metricsInPromql(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const found = new Set<string>();
  for (const match of stripped.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\()?/g)) {
    const [, word, call] = match as unknown as [string, string, string | undefined];
    if (call || promqlWords.has(word)) continue;
    found.add(word);
  }
  return [...found];
}
