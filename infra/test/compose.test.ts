import { Ajv, type ErrorObject } from 'ajv';
import { describe, expect, it } from 'vitest';
import { environmentOf, loadCompose } from './compose-file.ts';
import {
  environmentProblems,
  exists,
  type Json,
  nginxSize,
  parseDotenv,
  readText,
  readYaml,
  type ServiceName,
  seconds,
  serviceNames,
  services,
} from './support.ts';

const composeSchema = JSON.parse(readText('infra/schemas/compose-spec.json')) as Json;

/** ajv with the custom formats the Compose Specification leaves to implementations. */
function composeValidator() {
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat('duration', /^([+-]?(\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat('ports', /^((\[?[a-fA-F\d.:]+\]?:)?(\d*(-\d+)?):)?(\d+(-\d+)?)(\/(udp|tcp|sctp))?$/);
  ajv.addFormat('expose', /^\d+(-\d+)?(\/[a-zA-Z]+)?$/);
  ajv.addFormat('volumes', /^.+:.+$/);
  ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F.:]+\/\d+$/);
  return ajv.compile(composeSchema);
}
const validateCompose = composeValidator();

function schemaProblems(config: Json): string[] {
  if (validateCompose(config)) return [];
  return (validateCompose.errors ?? []).map(
    (error: ErrorObject) => `${error.instancePath || '/'} ${error.message} ${JSON.stringify(error.params)}`,
  );
}

const raw = readYaml('docker-compose.yml');
const { config, env, seen } = loadCompose(raw);
const composeServices = config.services as Record<string, Json>;

/** Everything wrong with a (interpolated) compose configuration, as readable lines. */
function projectProblems(compose: Json): string[] {
  const problems: string[] = [];
  const all = compose.services as Record<string, Json>;
  const volumes = Object.keys((compose.volumes as Json | undefined) ?? {});

  for (const [name, service] of Object.entries(all)) {
    // Something to run: an image, or a build whose Dockerfile exists.
    const build = service.build as Json | undefined;
    if (!service.image && !build) problems.push(`${name}: neither image nor build`);
    if (build) {
      const dockerfile = `${(build.context as string) ?? '.'}/${(build.dockerfile as string) ?? 'Dockerfile'}`;
      if (!exists(dockerfile)) problems.push(`${name}: ${dockerfile} does not exist`);
      const target = (build.args as Json | undefined)?.SERVICE as string | undefined;
      if (target !== undefined && !exists('services', target, 'src/server.ts')) {
        problems.push(`${name}: build arg SERVICE=${target} names no service`);
      }
    } else if (typeof service.image === 'string' && !/:[\w.-]+$/.test(service.image)) {
      problems.push(`${name}: image ${service.image} has no tag`);
    }

    // Long-running services say when they are healthy; the one-shot key maker needs not.
    if (name !== 'keys' && !(service.healthcheck as Json | undefined)?.test) {
      problems.push(`${name}: no healthcheck`);
    }

    for (const [dependency, condition] of Object.entries((service.depends_on as Json | undefined) ?? {})) {
      const target = all[dependency];
      const wanted = (condition as Json).condition;
      if (!target) problems.push(`${name}: depends on unknown service ${dependency}`);
      else if (wanted === 'service_healthy' && !(target.healthcheck as Json | undefined)?.test) {
        problems.push(`${name}: waits for ${dependency} to be healthy, which has no healthcheck`);
      }
    }

    for (const port of (service.ports as unknown[] | undefined) ?? []) {
      const text =
        typeof port === 'string' ? port : `${(port as Json).host_ip ?? ''}:${(port as Json).published}`;
      if (!text.startsWith('127.0.0.1:')) problems.push(`${name}: port ${text} is not bound to 127.0.0.1`);
    }

    for (const volume of (service.volumes as unknown[] | undefined) ?? []) {
      const source = typeof volume === 'string' ? volume.split(':')[0] : (volume as Json).source;
      if (typeof source !== 'string') continue;
      if (source.startsWith('.') || source.startsWith('/')) {
        if (!exists(source)) problems.push(`${name}: bind mount ${source} does not exist`);
      } else if (!volumes.includes(source)) {
        problems.push(`${name}: volume ${source} is not declared`);
      }
    }
  }

  // Each application service: every required variable set, and values its own loader accepts.
  for (const name of serviceNames) {
    const service = all[name];
    if (!service) {
      problems.push(`${name}: missing`);
      continue;
    }
    const environment = environmentOf(service);
    for (const problem of environmentProblems(name, environment)) problems.push(`${name}: ${problem}`);
    if (environment.HOST !== '0.0.0.0') problems.push(`${name}: HOST must be 0.0.0.0 in a container`);
  }

  // Gateways scale: nothing fixed per container, and each replica names itself.
  const gateway = all.gateway ?? {};
  if (gateway.container_name) problems.push('gateway: a container_name prevents --scale');
  if (gateway.ports) problems.push('gateway: published ports prevent --scale');
  if (
    !JSON.stringify(gateway.command ?? '').includes('REPLICA_ID') ||
    !JSON.stringify(gateway.command).includes('HOSTNAME')
  ) {
    problems.push('gateway: REPLICA_ID is not taken from the container hostname');
  }
  const drain = seconds(environmentOf(gateway).DRAIN_TIMEOUT ?? '10s');
  const grace = seconds(String(gateway.stop_grace_period ?? '10s'));
  if (grace <= drain + 5) {
    problems.push(`gateway: stop_grace_period ${grace}s is not above DRAIN_TIMEOUT ${drain}s + 5s`);
  }

  // The edge: every template variable set, upstreams at the services' ports, all gateways.
  const edge = all.edge ?? {};
  const edgeEnv = environmentOf(edge);
  const template = readText('infra/nginx/edge.conf.template').replace(/^\s*#.*$/gm, '');
  for (const [, variable] of template.matchAll(/\$\{([A-Z_]+)\}/g)) {
    if (!edgeEnv[variable as string]) problems.push(`edge: template variable ${variable} is not set`);
  }
  for (const name of ['auth', 'message', 'upload'] as ServiceName[]) {
    const key = `${name.toUpperCase()}_UPSTREAM`;
    if (edgeEnv[key] !== `${name}:${services[name].port}`) problems.push(`edge: ${key} is ${edgeEnv[key]}`);
  }
  if (edgeEnv.GATEWAY_SERVERS !== `server gateway:${services.gateway.port};`) {
    problems.push(`edge: GATEWAY_SERVERS is ${edgeEnv.GATEWAY_SERVERS}, not the gateway service name`);
  }
  if (edgeEnv.WEB_ROOT !== '/usr/share/nginx/html')
    problems.push('edge: WEB_ROOT is not where the image puts the web build');
  const upload = environmentOf(all.upload ?? {});
  const largest = Number(upload.UPLOAD_MAX_FILE_SIZE ?? 0) * Number(upload.UPLOAD_MAX_FILES ?? 0);
  if (edgeEnv.UPLOAD_BODY_LIMIT && nginxSize(edgeEnv.UPLOAD_BODY_LIMIT) < largest) {
    problems.push(
      `edge: UPLOAD_BODY_LIMIT ${edgeEnv.UPLOAD_BODY_LIMIT} is below UPLOAD_MAX_FILE_SIZE × UPLOAD_MAX_FILES`,
    );
  }
  return problems;
}

describe('docker-compose.yml', () => {
  it('interpolates with the variables of .env.example', () => {
    expect(seen.errors).toEqual([]);
  });

  it('is valid against the Compose Specification schema', () => {
    expect(schemaProblems(config)).toEqual([]);
  });

  it('keeps the project invariants', () => {
    expect(projectProblems(config)).toEqual([]);
  });

  it('runs MongoDB 7, Redis 7, RabbitMQ 3.13 with management, the four services and the edge', () => {
    expect(composeServices.mongo?.image).toBe('mongo:7');
    expect(composeServices.redis?.image).toMatch(/^redis:7(-|$)/);
    expect(composeServices.rabbitmq?.image).toMatch(/^rabbitmq:3\.13-management/);
    for (const name of serviceNames) {
      expect(composeServices[name]?.build).toMatchObject({
        dockerfile: 'infra/docker/service.Dockerfile',
        args: { SERVICE: name },
      });
    }
    expect(composeServices.edge?.build).toMatchObject({ dockerfile: 'infra/docker/edge.Dockerfile' });
    expect(composeServices.auth?.depends_on).toMatchObject({
      keys: { condition: 'service_completed_successfully' },
    });
  });

  it('documents every variable it uses in .env.example, and nothing else', () => {
    const documented = [...parseDotenv(readText('.env.example')).keys()].sort();
    expect([...seen.used].sort()).toEqual(documented);
  });

  it('refuses to start without its secrets', () => {
    expect([...seen.required].sort()).toEqual(
      expect.arrayContaining(['GRAFANA_ADMIN_PASSWORD', 'RABBITMQ_PASSWORD', 'UPLOAD_URL_SECRET']),
    );
    const withoutSecret = [...env].filter(([key]) => key !== 'UPLOAD_URL_SECRET');
    const { seen: missing } = loadCompose(raw, withoutSecret.map(([k, v]) => `${k}=${v}`).join('\n'));
    expect(missing.errors.join('\n')).toMatch(/UPLOAD_URL_SECRET/);
  });
});

/** The checks above must turn red on real defects, not only pass on the file as it is. */
describe('docker-compose.yml checks catch defects', () => {
  const mutate = (change: (services: Record<string, Json>, compose: Json) => void) => {
    const copy = structuredClone(config);
    change(copy.services as Record<string, Json>, copy);
    return copy;
  };

  it('a misspelt key fails the schema', () => {
    const broken = mutate((s) => {
      s.auth = { ...s.auth, heathcheck: s.auth?.healthcheck };
    });
    expect(schemaProblems(broken).join('\n')).toMatch(/heathcheck/);
  });

  it('a bad port or duration fails the schema', () => {
    const badPort = mutate((s) => {
      s.edge = { ...s.edge, ports: ['127.0.0.1:eighty:8080'] };
    });
    const badDuration = mutate((s) => {
      s.gateway = { ...s.gateway, stop_grace_period: 'soon' };
    });
    expect(schemaProblems(badPort)).not.toEqual([]);
    expect(schemaProblems(badDuration)).not.toEqual([]);
  });

  it('a missing required variable, a bad value, a fixed gateway port, a missing healthcheck', () => {
    const problems = projectProblems(
      mutate((s) => {
        const upload = s.upload as Json;
        upload.environment = { ...(upload.environment as Json), UPLOAD_URL_SECRET: 'short' };
        const message = s.message as Json;
        const { JWKS_URL: _dropped, ...rest } = message.environment as Json;
        message.environment = rest;
        (s.gateway as Json).ports = ['127.0.0.1:4004:4004'];
        delete (s.redis as Json).healthcheck;
      }),
    ).join('\n');
    expect(problems).toMatch(/upload: .*UPLOAD_URL_SECRET is invalid/);
    expect(problems).toMatch(/message: required JWKS_URL is not set/);
    expect(problems).toMatch(/gateway: published ports prevent --scale/);
    expect(problems).toMatch(/redis: no healthcheck/);
  });

  it('an edge template variable left unset, a port open to every interface', () => {
    const problems = projectProblems(
      mutate((s) => {
        const edge = s.edge as Json;
        const { WEB_ROOT: _dropped, ...rest } = edge.environment as Json;
        edge.environment = rest;
        edge.ports = ['8080:8080'];
      }),
    ).join('\n');
    expect(problems).toMatch(/template variable WEB_ROOT/);
    expect(problems).toMatch(/not bound to 127.0.0.1/);
  });
});
