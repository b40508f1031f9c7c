import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The variables a configuration table documents: every `NAME` in the first column of the
 * first table under `heading` in a Markdown file of the repository. Config tests compare it
 * with the spec, so the docs cannot drift from what a service reads.
 */
export async function documentedVariables(file: string, heading: string): Promise<string[]> {
  const lines = (await readFile(`${repositoryRoot}${file}`, 'utf8')).split('\n');
  const start = lines.findIndex((line) => line.trim() === heading);
  if (start < 0) throw new Error(`${file} has no heading "${heading}"`);
  const names = new Set<string>();
  let inTable = false;
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('#')) break;
    if (!line.startsWith('|')) {
      if (inTable) break;
      continue;
    }
    inTable = true;
    const firstColumn = line.split('|')[1] ?? '';
    for (const [, name] of firstColumn.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) if (name) names.add(name);
  }
  return [...names].sort();
}
