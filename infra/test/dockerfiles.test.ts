import { describe, expect, it } from 'vitest';
import { exists, readText } from './support.ts';

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Dockerfile instructions (continuations joined, comments dropped), grouped by stage, ARG defaults applied to FROM. */
function parseDockerfile(text: string): { args: Map<string, string>; stages: Stage[] } {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, keyword = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args: rest };
    if (instruction.keyword === 'FROM') {
      const [image = '', , name] = rest.split(/\s+/);
      const from = image.replace(/\$\{(\w+)\}/g, (_, key: string) => args.get(key) ?? '');
      stages.push({ from, ...(name ? { name } : {}), instructions: [] });
    } else if (stages.length === 0 && instruction.keyword === 'ARG') {
      const [key = '', value = ''] = rest.split('=');
      args.set(key, value);
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { args, stages };
}

const all = (stage: Stage | undefined, keyword: string) =>
  (stage?.instructions ?? []).filter((i) => i.keyword === keyword).map((i) => i.args);
const ignored = (file: string) =>
  readText(file)
    .split('\n')
    .filter((line) => line && !line.startsWith('#'));
const pnpmVersion = (JSON.parse(readText('package.json')) as { packageManager: string }).packageManager.split(
  '@',
)[1];

describe('infra/docker/service.Dockerfile', () => {
  const { stages } = parseDockerfile(readText('infra/docker/service.Dockerfile'));
  const build = stages[0];
  const runtime = stages.at(-1);

  it('builds in one stage and runs in a slim Node 24 one', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(build?.from).toBe('node:24-slim');
    expect(runtime?.from).toBe('node:24-slim');
    expect(all(runtime, 'COPY').every((args) => args.includes('--from='))).toBe(true);
  });

  it('installs only the one service’s production dependencies, with the repository’s pnpm', () => {
    const runs = all(build, 'RUN').join('\n');
    expect(runs).toMatch(/pnpm install .*--frozen-lockfile/);
    expect(runs).toMatch(/--prod --filter-prod "@palaver\/\$\{SERVICE\}\.\.\."/);
    expect(all(build, 'ARG')).toContain(`PNPM_VERSION=${pnpmVersion}`);
  });

  it('runs node src/server.ts as a non-root user with a /healthz HEALTHCHECK using fetch', () => {
    const users = all(runtime, 'USER');
    expect(users.at(-1)).toMatch(/^(node|[1-9]\d*)$/);
    const health = all(runtime, 'HEALTHCHECK').join('\n');
    expect(health).toMatch(/\/healthz/);
    expect(health).toMatch(/fetch\(/);
    expect(all(runtime, 'CMD').at(-1)).toBe('["node", "src/server.ts"]');
  });

  it('its .dockerignore keeps out the other projects and node_modules, not what it copies', () => {
    const patterns = ignored('infra/docker/service.Dockerfile.dockerignore');
    expect(patterns).toContain('**/node_modules');
    for (const kept of ['services', 'packages', 'pnpm-lock.yaml', 'package.json'])
      expect(patterns).not.toContain(kept);
  });
});

describe('infra/docker/edge.Dockerfile', () => {
  const { stages } = parseDockerfile(readText('infra/docker/edge.Dockerfile'));
  const web = stages.find((stage) => stage.name === 'web');
  const edge = stages.at(-1);

  it('builds the web client in a `web` stage', () => {
    expect(web?.from).toBe('node:24-slim');
    const runs = all(web, 'RUN').join('\n');
    expect(runs).toMatch(/pnpm --filter @palaver\/web run build/);
    expect(all(web, 'ARG')).toContain(`PNPM_VERSION=${pnpmVersion}`);
  });

  it('serves it from nginx 1.27 with the edge template, unprivileged', () => {
    expect(edge?.from).toBe('nginx:1.27-alpine');
    const copies = all(edge, 'COPY');
    expect(copies).toContain('infra/nginx/edge.conf.template /etc/nginx/templates/edge.conf.template');
    expect(copies).toContain('--from=web /src/web/dist /usr/share/nginx/html');
    expect(exists('infra/nginx/edge.conf.template')).toBe(true);
    expect(all(edge, 'ENV').join(' ')).toMatch(/WEB_ROOT=\/usr\/share\/nginx\/html/);
    expect(all(edge, 'USER').at(-1)).toBe('101');
  });

  it('sets a default for every variable of the template', () => {
    const template = readText('infra/nginx/edge.conf.template').replace(/^\s*#.*$/gm, '');
    const env = all(edge, 'ENV').join(' ');
    for (const [, name] of template.matchAll(/\$\{([A-Z_]+)\}/g))
      expect(env).toMatch(new RegExp(`\\b${name}=`));
  });

  it('its .dockerignore keeps the web client, the packages and the nginx template', () => {
    const patterns = ignored('infra/docker/edge.Dockerfile.dockerignore');
    for (const kept of ['web', 'packages', 'infra/nginx']) expect(patterns).not.toContain(kept);
    expect(patterns).toContain('!infra/nginx');
  });
});
