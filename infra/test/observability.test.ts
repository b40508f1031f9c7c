import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { environmentOf, loadCompose } from './compose-file.ts';
import {
  exists,
  type Json,
  knownMetrics,
  metricsInPromql,
  readText,
  readYaml,
  repoPath,
  services,
} from './support.ts';

const metrics = knownMetrics();
const composeServices = loadCompose(readYaml('docker-compose.yml')).config.services as Record<string, Json>;
const prometheus = readYaml('infra/prometheus/prometheus.yml');
const prometheusK8s = readYaml('infra/prometheus/prometheus.k8s.yml');
const alerts = readYaml('infra/prometheus/alerts.yml');
const dashboard = JSON.parse(readText('infra/grafana/palaver-dashboard.json')) as Json;

const jobs = (config: Json) => (config.scrape_configs as Json[]).map((job) => job.job_name as string);
const rules = (alerts.groups as Json[]).flatMap((group) => group.rules as Json[]);
const panels = dashboard.panels as Json[];
const panelExprs = (list: Json[]) =>
  list.flatMap((panel) => ((panel.targets as Json[] | undefined) ?? []).map((target) => String(target.expr)));

/** Metric names a set of PromQL expressions read that no code registers. */
const unknownMetrics = (exprs: string[]) =>
  [...new Set(exprs.flatMap(metricsInPromql))].filter((name) => !metrics.has(name)).sort();

const required = [
  'gateway_connected_sockets',
  'gateway_socket_events_received_total',
  'gateway_socket_events_emitted_total',
  'gateway_delivery_latency_seconds_bucket',
  'gateway_broker_queue_depth',
  'http_request_duration_seconds_bucket',
  'upload_bytes_received_total',
];

describe('metrics the code registers', () => {
  it('include every series the dashboard must show', () => {
    for (const name of required) expect(metrics, name).toContain(name);
  });

  it('the PromQL reader finds metric names and skips functions, labels and ranges', () => {
    expect(
      metricsInPromql(
        'histogram_quantile(0.99, sum by (service, le) (rate(http_request_duration_seconds_bucket{status_code=~"5.."}[5m]))) / on (service) up',
      ).sort(),
    ).toEqual(['http_request_duration_seconds_bucket', 'up']);
  });
});

describe('Prometheus (compose)', () => {
  it('scrapes Prometheus, auth, message, upload, search and every gateway replica', () => {
    expect(jobs(prometheus).sort()).toEqual(['auth', 'gateway', 'message', 'prometheus', 'search', 'upload']);
  });

  it('targets the compose services at their ports', () => {
    for (const name of ['auth', 'message', 'upload'] as const) {
      const job = (prometheus.scrape_configs as Json[]).find((j) => j.job_name === name) as Json;
      const targets = (job.static_configs as Json[]).flatMap((c) => c.targets as string[]);
      expect(targets).toEqual([`${name}:${services[name].port}`]);
      expect(environmentOf(composeServices[name] ?? {}).PORT).toBe(String(services[name].port));
    }
  });

  it('finds gateway replicas by DNS, so --scale needs no reload', () => {
    const job = (prometheus.scrape_configs as Json[]).find((j) => j.job_name === 'gateway') as Json;
    expect(job.static_configs).toBeUndefined();
    expect(job.dns_sd_configs).toEqual([
      expect.objectContaining({ names: ['gateway'], type: 'A', port: 4004 }),
    ]);
    expect(composeServices.gateway).toBeDefined();
  });

  it('is mounted, with its rules, where its rule_files say', () => {
    const mounts = ((composeServices.prometheus?.volumes ?? []) as string[]).map((v) => v.split(':'));
    for (const file of prometheus.rule_files as string[]) {
      const mount = mounts.find(([, target]) => target === file);
      expect(mount, file).toBeDefined();
      expect(exists(mount?.[0] as string)).toBe(true);
    }
  });
});

describe('Prometheus (Kubernetes)', () => {
  const job = (prometheusK8s.scrape_configs as Json[]).find((j) => j.kubernetes_sd_configs) as Json;
  const relabel = (job?.relabel_configs as Json[] | undefined) ?? [];

  it('discovers pods in the palaver namespace and keeps the four services', () => {
    expect(job.kubernetes_sd_configs).toEqual([
      expect.objectContaining({ role: 'pod', namespaces: { names: ['palaver'] } }),
    ]);
    const keep = relabel.find(
      (r) =>
        (r.source_labels as string[]).includes('__meta_kubernetes_pod_label_app_kubernetes_io_name') &&
        r.action === 'keep',
    );
    for (const name of Object.keys(services))
      expect(new RegExp(`^(?:${keep?.regex})$`).test(name)).toBe(true);
    expect(
      relabel.some((r) => r.action === 'keep' && String(r.source_labels).includes('prometheus_io_scrape')),
    ).toBe(true);
  });

  it('names jobs like the compose ones, so the alerts and dashboard serve both', () => {
    expect(relabel).toContainEqual(
      expect.objectContaining({
        source_labels: ['__meta_kubernetes_pod_label_app_kubernetes_io_name'],
        target_label: 'job',
      }),
    );
    expect(prometheusK8s.rule_files).toEqual(prometheus.rule_files);
  });
});

describe('alerts', () => {
  it('every rule is complete and reads only metrics that exist', () => {
    for (const rule of rules) {
      expect(rule.alert, JSON.stringify(rule)).toMatch(/^Palaver[A-Z]\w+$/);
      expect(rule.expr).toBeTruthy();
      expect((rule.labels as Json).severity).toMatch(/^(critical|warning)$/);
      expect((rule.annotations as Json).summary).toBeTruthy();
    }
    expect(unknownMetrics(rules.map((rule) => String(rule.expr)))).toEqual([]);
  });

  it('cover services down, 5xx rate, delivery p99 over 1 s and a growing broker queue', () => {
    const expr = (name: string) => String(rules.find((rule) => rule.alert === name)?.expr).trim();
    expect(expr('PalaverServiceDown')).toMatch(/up\{job=~"auth\|message\|upload\|search\|gateway"\} == 0/);
    expect(expr('PalaverHighErrorRate')).toMatch(/status_code=~"5\.\."/);
    expect(expr('PalaverDeliveryLatencyHigh')).toMatch(
      /histogram_quantile\(0\.99,.*gateway_delivery_latency_seconds_bucket.*\) > 1$/s,
    );
    expect(expr('PalaverBrokerQueueGrowing')).toMatch(/deriv\(gateway_broker_queue_depth/);
  });

  it('reading a metric nobody registers is caught', () => {
    expect(unknownMetrics(['rate(gateway_messages_total[5m]) > 1'])).toEqual(['gateway_messages_total']);
  });
});

describe('Grafana dashboard', () => {
  it('is a dashboard with unique panel ids, each placed and querying Prometheus', () => {
    expect(dashboard.uid).toBe('palaver-overview');
    const ids = panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of panels) {
      expect(panel.gridPos, String(panel.title)).toMatchObject({
        w: expect.any(Number),
        h: expect.any(Number),
      });
      expect((panel.targets as Json[]).length).toBeGreaterThan(0);
      expect((panel.datasource as Json).type).toBe('prometheus');
    }
  });

  it('shows every required series and reads only metrics that exist', () => {
    const exprs = panelExprs(panels);
    const used = new Set(exprs.flatMap(metricsInPromql));
    for (const name of required) expect(used, name).toContain(name);
    expect(unknownMetrics(exprs)).toEqual([]);
  });

  it('has the panels operators look for', () => {
    const byTitle = (title: string) => panelExprs(panels.filter((panel) => panel.title === title)).join('\n');
    expect(byTitle('Connected sockets per replica')).toMatch(/by \(instance\) \(gateway_connected_sockets\)/);
    expect(byTitle('Messages per second')).toMatch(
      /gateway_socket_events_emitted_total\{event="message:received"\}/,
    );
    expect(byTitle('End-to-end delivery latency')).toMatch(/histogram_quantile\(0\.5,/);
    expect(byTitle('End-to-end delivery latency')).toMatch(/histogram_quantile\(0\.99,/);
    expect(byTitle('HTTP latency p99 by service')).toMatch(/by \(service, le\)/);
    expect(byTitle('HTTP 5xx error rate by service')).toMatch(/status_code=~"5\.\."/);
    expect(byTitle('Broker queue depth per replica')).toMatch(
      /by \(instance\) \(gateway_broker_queue_depth\)/,
    );
  });

  it('is provisioned in compose with a Prometheus data source', () => {
    const mounts = ((composeServices.grafana?.volumes ?? []) as string[]).map((v) => v.split(':'));
    expect(mounts).toContainEqual([
      './infra/grafana/palaver-dashboard.json',
      '/var/lib/grafana/dashboards/palaver-dashboard.json',
      'ro',
    ]);
    const datasources = readYaml('infra/grafana/provisioning/datasources/prometheus.yml');
    expect(datasources.datasources).toContainEqual(
      expect.objectContaining({ type: 'prometheus', uid: 'prometheus', url: 'http://prometheus:9090' }),
    );
    const provider = readYaml('infra/grafana/provisioning/dashboards/palaver.yml');
    expect((provider.providers as Json[])[0]?.options).toEqual({ path: '/var/lib/grafana/dashboards' });
  });
});

/** promtool is not a project dependency (it comes with Prometheus); where it is installed, use it too. */
const promtool = spawnSync('promtool', ['--version']).status === 0;

describe.runIf(promtool)('promtool (when installed)', () => {
  const run = (args: string[], cwd: string) => execFileSync('promtool', args, { cwd, encoding: 'utf8' });

  it('accepts the rules and passes their unit tests (alerts.test.yml)', () => {
    const dir = repoPath('infra/prometheus');
    expect(run(['check', 'rules', 'alerts.yml'], dir)).toMatch(/SUCCESS/);
    expect(run(['test', 'rules', 'alerts.test.yml'], dir)).toMatch(/SUCCESS/);
  });

  it('accepts the compose configuration', () => {
    const dir = mkdtempSync(join(tmpdir(), 'palaver-prometheus-'));
    copyFileSync(repoPath('infra/prometheus/alerts.yml'), join(dir, 'alerts.yml'));
    const config = readText('infra/prometheus/prometheus.yml').replace(
      '/etc/prometheus/alerts.yml',
      'alerts.yml',
    );
    writeFileSync(join(dir, 'prometheus.yml'), config);
    expect(run(['check', 'config', 'prometheus.yml'], dir)).toMatch(/SUCCESS/);
  });
});
