import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, PersistentVolumeClaim, Secret, Service } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import {
  environmentProblems,
  exists,
  type Json,
  listFiles,
  readYaml,
  readYamlDocuments,
  type ServiceName,
  seconds,
  serviceNames,
  services,
} from './support.ts';

/** The kinds the manifests may use, each with the model that validates it against the Kubernetes schema. */
const models: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/Ingress': Ingress,
};

interface Manifest extends Json {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  file: string;
}

const kustomization = readYaml('infra/k8s/kustomization.yaml');
const resourceFiles = (kustomization.resources as string[]) ?? [];
const manifests: Manifest[] = resourceFiles.flatMap((file) =>
  readYamlDocuments('infra/k8s', file)
    .filter(Boolean)
    .map((doc) => ({ ...doc, file }) as Manifest),
);

type Container = Json & {
  name: string;
  env?: Json[];
  envFrom?: Json[];
  ports?: Json[];
  volumeMounts?: Json[];
};
type PodSpec = Json & { containers: Container[]; volumes?: Json[]; securityContext?: Json };

const podSpec = (deployment: Manifest) =>
  (deployment.spec as Json).template as { metadata: Json; spec: PodSpec };
const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);

function schemaProblems(all: Manifest[]): string[] {
  const problems: string[] = [];
  for (const manifest of all) {
    const { file, ...data } = manifest;
    const Model = models[`${data.apiVersion}/${data.kind}`];
    if (!Model) {
      problems.push(`${file}: ${data.apiVersion} ${data.kind} is not a kind these manifests use`);
      continue;
    }
    try {
      new Model(data as never).validate();
    } catch (error) {
      problems.push(`${file}: ${data.kind} ${data.metadata?.name}: ${(error as Error).message}`);
    }
  }
  return problems;
}

/** Values a container sees: literal env, env from ConfigMaps/Secrets (keys and valueFrom), the pod name. */
function containerEnv(container: Container, all: Manifest[], problems: string[], where: string) {
  const find = (kind: string, name: unknown) =>
    all.find((m) => m.kind === kind && m.metadata.name === name) as
      | (Manifest & { data?: Json; stringData?: Json })
      | undefined;
  const values = (object: Manifest & { data?: Json; stringData?: Json }) =>
    object.kind === 'Secret'
      ? {
          ...Object.fromEntries(
            Object.entries(object.data ?? {}).map(([k, v]) => [
              k,
              Buffer.from(String(v), 'base64').toString(),
            ]),
          ),
          ...(object.stringData ?? {}),
        }
      : (object.data ?? {});
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    const [kind, ref] = source.configMapRef
      ? ['ConfigMap', source.configMapRef as Json]
      : ['Secret', source.secretRef as Json];
    const object = find(kind, ref?.name);
    if (!object) problems.push(`${where}: envFrom ${kind} ${ref?.name} is not in the manifests`);
    else Object.assign(env, values(object));
  }
  for (const variable of container.env ?? []) {
    const name = variable.name as string;
    const from = variable.valueFrom as Json | undefined;
    if (!from) {
      env[name] = String(variable.value ?? '');
      continue;
    }
    const ref = (from.secretKeyRef ?? from.configMapKeyRef) as Json | undefined;
    if (ref) {
      const object = find(from.secretKeyRef ? 'Secret' : 'ConfigMap', ref.name);
      const value = object ? (values(object) as Json)[ref.key as string] : undefined;
      if (value === undefined) problems.push(`${where}: ${name} refers to missing ${ref.name}/${ref.key}`);
      else env[name] = String(value);
    } else if ((from.fieldRef as Json | undefined)?.fieldPath === 'metadata.name') {
      env[name] = 'pod-name';
    } else {
      env[name] = 'from-the-pod';
    }
  }
  return env;
}

function preStopSeconds(container: Container): number {
  const command = ((container.lifecycle as Json | undefined)?.preStop as Json | undefined)?.exec as
    | Json
    | undefined;
  const args = (command?.command as string[] | undefined) ?? [];
  return args[0] === 'sleep' ? Number(args[1]) : 0;
}

function projectProblems(all: Manifest[]): string[] {
  const problems: string[] = [];
  const of = (kind: string) => all.filter((m) => m.kind === kind);
  const deployments = of('Deployment');
  const namespaces = of('Namespace').map((m) => m.metadata.name);
  if (!namespaces.includes(kustomization.namespace as string)) {
    problems.push(`kustomization namespace ${kustomization.namespace} is not a Namespace in the manifests`);
  }
  const imageNames = ((kustomization.images as Json[]) ?? []).map((image) => image.name);

  for (const name of [...serviceNames, 'edge']) {
    if (!deployments.some((d) => d.metadata.name === name)) problems.push(`${name}: no Deployment`);
  }

  for (const deployment of deployments) {
    const name = deployment.metadata.name;
    const where = `Deployment ${name}`;
    const spec = deployment.spec as Json;
    const template = podSpec(deployment);
    const pod = template.spec;
    const selector = (spec.selector as Json).matchLabels as Record<string, string>;
    if (!matches(selector, template.metadata.labels as Record<string, string>)) {
      problems.push(`${where}: selector does not match the pod labels`);
    }
    if (pod.securityContext?.runAsNonRoot !== true) problems.push(`${where}: pod is not runAsNonRoot`);
    if ((pod.securityContext?.seccompProfile as Json | undefined)?.type !== 'RuntimeDefault') {
      problems.push(`${where}: no RuntimeDefault seccomp profile`);
    }
    if (pod.automountServiceAccountToken !== false) problems.push(`${where}: mounts a service account token`);
    const volumes = new Map((pod.volumes ?? []).map((volume) => [volume.name as string, volume]));
    const grace = Number(pod.terminationGracePeriodSeconds ?? 30);

    for (const container of pod.containers) {
      const at = `${where} container ${container.name}`;
      if (!imageNames.includes(String(container.image).split(':')[0])) {
        problems.push(`${at}: image ${container.image} is not in the kustomization's images`);
      }
      const resources = (container.resources ?? {}) as Json;
      for (const kind of ['requests', 'limits']) {
        for (const resource of ['cpu', 'memory']) {
          if (!(resources[kind] as Json | undefined)?.[resource])
            problems.push(`${at}: no ${kind}.${resource}`);
        }
      }
      const security = (container.securityContext ?? {}) as Json;
      if (security.allowPrivilegeEscalation !== false)
        problems.push(`${at}: allowPrivilegeEscalation is not false`);
      if (security.readOnlyRootFilesystem !== true) problems.push(`${at}: root filesystem is writable`);
      if (!((security.capabilities as Json | undefined)?.drop as string[] | undefined)?.includes('ALL')) {
        problems.push(`${at}: capabilities not dropped`);
      }
      const mounts = container.volumeMounts ?? [];
      for (const mount of mounts) {
        const volume = volumes.get(mount.name as string);
        if (!volume) problems.push(`${at}: mounts undeclared volume ${mount.name}`);
        const claim = (volume?.persistentVolumeClaim as Json | undefined)?.claimName;
        if (claim && !of('PersistentVolumeClaim').some((c) => c.metadata.name === claim)) {
          problems.push(`${at}: PersistentVolumeClaim ${claim} is not in the manifests`);
        }
        const secret = (volume?.secret as Json | undefined)?.secretName;
        if (secret && !of('Secret').some((s) => s.metadata.name === secret)) {
          problems.push(`${at}: Secret ${secret} is not in the manifests`);
        }
      }
      if (!mounts.some((mount) => mount.mountPath === '/tmp')) problems.push(`${at}: no writable /tmp`);

      const ports = container.ports ?? [];
      const portOf = (port: unknown) =>
        typeof port === 'number' ? port : ports.find((p) => p.name === port)?.containerPort;
      const probe = (kind: string) => (container[kind] as Json | undefined)?.httpGet as Json | undefined;
      for (const kind of ['readinessProbe', 'livenessProbe']) {
        const get = probe(kind);
        if (!get) problems.push(`${at}: no HTTP ${kind}`);
        else if (portOf(get.port) === undefined)
          problems.push(`${at}: ${kind} port ${get.port} is not a container port`);
      }
      const preStop = preStopSeconds(container);
      if (preStop <= 0) problems.push(`${at}: no preStop sleep to let endpoints drain`);

      if (!(serviceNames as string[]).includes(name)) continue;
      const service = name as ServiceName;
      // The four services: probes on their health routes, config complete and valid, scraped.
      if (probe('readinessProbe')?.path !== '/readyz') problems.push(`${at}: readinessProbe is not /readyz`);
      if (probe('livenessProbe')?.path !== '/healthz') problems.push(`${at}: livenessProbe is not /healthz`);
      const env = containerEnv(container, all, problems, at);
      for (const problem of environmentProblems(service, env, 'is not provided'))
        problems.push(`${at}: ${problem}`);
      if (!ports.some((p) => p.containerPort === services[service].port)) {
        problems.push(`${at}: does not expose ${services[service].port}`);
      }
      const annotations = (template.metadata.annotations ?? {}) as Record<string, string>;
      if (annotations['prometheus.io/scrape'] !== 'true' || annotations['prometheus.io/port'] !== env.PORT) {
        problems.push(`${at}: not annotated for Prometheus on its port`);
      }
      // Shutdown bound: the kit forces exit after 15 s; the gateway after DRAIN_TIMEOUT + 5 s.
      const shutdown = service === 'gateway' ? seconds(env.DRAIN_TIMEOUT ?? '10s') + 5 : 15;
      if (grace <= preStop + shutdown) {
        problems.push(
          `${at}: terminationGracePeriodSeconds ${grace} is not above preStop ${preStop}s + ${shutdown}s`,
        );
      }
      if (service === 'gateway') {
        const replica = (container.env ?? []).find((v) => v.name === 'REPLICA_ID');
        const field = ((replica?.valueFrom as Json | undefined)?.fieldRef as Json | undefined)?.fieldPath;
        if (field !== 'metadata.name') problems.push(`${at}: REPLICA_ID is not the pod name`);
      }
    }
  }

  // Services select the pods of exactly one Deployment, on a port it exposes.
  for (const service of of('Service')) {
    const spec = service.spec as Json;
    const selector = spec.selector as Record<string, string>;
    const targets = deployments.filter((d) =>
      matches(selector, podSpec(d).metadata.labels as Record<string, string>),
    );
    if (targets.length !== 1) {
      problems.push(`Service ${service.metadata.name}: selects ${targets.length} Deployments`);
      continue;
    }
    const containerPorts = podSpec(targets[0] as Manifest).spec.containers.flatMap((c) => c.ports ?? []);
    for (const port of spec.ports as Json[]) {
      const target = port.targetPort ?? port.port;
      if (!containerPorts.some((p) => p.name === target || p.containerPort === target)) {
        problems.push(`Service ${service.metadata.name}: targetPort ${target} is not a container port`);
      }
    }
  }

  // The gateway scales between 2 and 10 on CPU, and drains one replica at a time.
  const gateway = deployments.find((d) => d.metadata.name === 'gateway');
  const gatewayLabels = gateway ? (podSpec(gateway).metadata.labels as Record<string, string>) : {};
  const hpa = of('HorizontalPodAutoscaler')[0]?.spec as Json | undefined;
  const target = hpa?.scaleTargetRef as Json | undefined;
  if (target?.kind !== 'Deployment' || target?.name !== 'gateway')
    problems.push('HPA does not target the gateway');
  if (hpa?.minReplicas !== 2 || hpa?.maxReplicas !== 10) problems.push('HPA is not 2–10 replicas');
  const metrics = (hpa?.metrics as Json[] | undefined) ?? [];
  if (!metrics.some((m) => (m.resource as Json | undefined)?.name === 'cpu'))
    problems.push('HPA does not scale on CPU');
  if (gateway && (gateway.spec as Json).replicas !== undefined) {
    problems.push('gateway Deployment sets replicas, which fights the HPA on every apply');
  }
  const pdb = of('PodDisruptionBudget')[0]?.spec as Json | undefined;
  if (!pdb || !matches((pdb.selector as Json).matchLabels as Record<string, string>, gatewayLabels)) {
    problems.push('PDB does not select the gateway pods');
  } else if (!(pdb.maxUnavailable === 1 || pdb.minAvailable === 1)) {
    problems.push('PDB is neither maxUnavailable 1 nor minAvailable 1');
  }

  // Ingress: / to the edge; /socket.io/ with websocket timeouts and cookie affinity.
  const routes = of('Ingress').flatMap((ingress) =>
    ((ingress.spec as Json).rules as Json[]).flatMap((rule) =>
      ((rule.http as Json).paths as Json[]).map((path) => ({ ingress, path })),
    ),
  );
  for (const { ingress, path } of routes) {
    if ((ingress.spec as Json).ingressClassName !== 'nginx') {
      problems.push(`Ingress ${ingress.metadata.name}: class is not nginx`);
    }
    const backend = (path.backend as Json).service as Json;
    const service = of('Service').find((s) => s.metadata.name === backend.name);
    const port = backend.port as Json;
    const servicePorts = (service?.spec as Json | undefined)?.ports as Json[] | undefined;
    if (!servicePorts?.some((p) => p.name === port.name || p.port === port.number)) {
      problems.push(
        `Ingress ${ingress.metadata.name}: backend ${backend.name}:${port.name ?? port.number} does not exist`,
      );
    }
  }
  const root = routes.find(({ path }) => path.path === '/');
  if (((root?.path.backend as Json | undefined)?.service as Json | undefined)?.name !== 'edge') {
    problems.push('Ingress: / does not go to the edge');
  }
  const socket = routes.find(({ path }) => String(path.path).startsWith('/socket.io'));
  const annotations = socket?.ingress.metadata.annotations ?? {};
  if (annotations['nginx.ingress.kubernetes.io/affinity'] !== 'cookie') {
    problems.push('Ingress: /socket.io has no cookie affinity');
  }
  if (Number(annotations['nginx.ingress.kubernetes.io/proxy-read-timeout'] ?? 60) < 60) {
    problems.push('Ingress: /socket.io read timeout is shorter than a minute');
  }
  return problems;
}

describe('infra/k8s', () => {
  it('lists every manifest in kustomization.yaml', () => {
    const files = listFiles('infra/k8s', '.yaml').filter((file) => file !== 'kustomization.yaml');
    expect([...resourceFiles].sort()).toEqual(files);
    for (const file of resourceFiles) expect(exists('infra/k8s', file)).toBe(true);
  });

  it('is valid against the Kubernetes schemas', () => {
    expect(manifests.length).toBeGreaterThan(10);
    expect(schemaProblems(manifests)).toEqual([]);
  });

  it('keeps the project invariants', () => {
    expect(projectProblems(manifests)).toEqual([]);
  });

  it('runs no MongoDB, RabbitMQ or Redis of its own (operators and charts do)', () => {
    const images = manifests
      .filter((m) => m.kind === 'Deployment')
      .flatMap((d) => podSpec(d).spec.containers.map((c) => String(c.image)));
    expect(images.filter((image) => /mongo|rabbit|redis/.test(image))).toEqual([]);
  });
});

/** The checks above must turn red on real defects, not only pass on the manifests as they are. */
describe('infra/k8s checks catch defects', () => {
  const mutate = (name: string, change: (pod: PodSpec, deployment: Manifest) => void) =>
    manifests.map((manifest) => {
      if (manifest.kind !== 'Deployment' || manifest.metadata.name !== name) return manifest;
      const copy = structuredClone(manifest);
      change(podSpec(copy).spec, copy);
      return copy;
    });

  it('a wrong type fails the schema', () => {
    const broken = mutate('auth', (_pod, deployment) => {
      (deployment.spec as Json).replicas = 'two';
    });
    expect(schemaProblems(broken).join('\n')).toMatch(/replicas must be integer/);
  });

  it('a removed probe, missing limits, a writable root, a short grace period', () => {
    const broken = mutate('gateway', (pod) => {
      const container = pod.containers[0] as Container;
      delete container.readinessProbe;
      delete (container.resources as Json).limits;
      (container.securityContext as Json).readOnlyRootFilesystem = false;
      pod.terminationGracePeriodSeconds = 15;
    });
    const problems = projectProblems(broken).join('\n');
    expect(problems).toMatch(/gateway container gateway: no HTTP readinessProbe/);
    expect(problems).toMatch(/gateway container gateway: no limits.cpu/);
    expect(problems).toMatch(/gateway container gateway: root filesystem is writable/);
    expect(problems).toMatch(/gateway container gateway: terminationGracePeriodSeconds 15/);
  });

  it('a required variable not provided, a Service selecting nothing', () => {
    const broken = mutate('upload', (pod, deployment) => {
      const container = pod.containers[0] as Container;
      container.env = (container.env ?? []).filter((v) => v.name !== 'UPLOAD_URL_SECRET');
      podSpec(deployment).metadata.labels = { 'app.kubernetes.io/name': 'uploads' };
      ((deployment.spec as Json).selector as Json).matchLabels = { 'app.kubernetes.io/name': 'uploads' };
    });
    const problems = projectProblems(broken).join('\n');
    expect(problems).toMatch(/upload: required UPLOAD_URL_SECRET is not provided/);
    expect(problems).toMatch(/Service upload: selects 0 Deployments/);
  });

  it('an HPA aimed elsewhere and a PDB that selects nothing', () => {
    const broken = manifests.map((manifest) => {
      const copy = structuredClone(manifest);
      if (copy.kind === 'HorizontalPodAutoscaler')
        ((copy.spec as Json).scaleTargetRef as Json).name = 'gateways';
      if (copy.kind === 'PodDisruptionBudget')
        ((copy.spec as Json).selector as Json).matchLabels = { app: 'gw' };
      return copy;
    });
    const problems = projectProblems(broken).join('\n');
    expect(problems).toMatch(/HPA does not target the gateway/);
    expect(problems).toMatch(/PDB does not select the gateway pods/);
  });
});
