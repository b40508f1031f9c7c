import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchmarksDir = fileURLToPath(new URL('../../../docs/benchmarks/', import.meta.url));

/** One line naming the machine a benchmark ran on. */
export function machineSummary(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
}

/** The median of a list of numbers (NaN when empty). */
export const median = (values: number[]) =>
  values.length ? ([...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number) : Number.NaN;

/** The head of a Markdown table: its line of column names (`| a | b |`), and the rule under it. */
export const tableHead = (columns: string) => [columns, `|${'---|'.repeat(columns.split('|').length - 2)}`];

/**
 * Writes `docs/benchmarks/<name>.md`: a title, when/where/how it ran, then the body.
 * Results files are written by the benchmarks only; reading them is in docs/benchmarks/README.md.
 */
export async function writeBenchmarkReport(
  name: string,
  report: { title: string; command: string; setup: string[]; body: string[] },
): Promise<string> {
  const text = [
    `# ${report.title}`,
    '',
    `- Date: ${new Date().toISOString()}`,
    `- Machine: ${machineSummary()}`,
    `- Command: \`${report.command}\``,
    ...report.setup.map((line) => `- ${line}`),
    '',
    ...report.body,
    '',
  ].join('\n');
  await mkdir(benchmarksDir, { recursive: true });
  const path = join(benchmarksDir, `${name}.md`);
  await writeFile(path, text);
  console.log(`\nwritten to ${path}`);
  return path;
}
