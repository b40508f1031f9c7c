/**
 * node bench/cpu-profile-summary.ts <file.cpuprofile>… — where a V8 CPU profile (from
 * `--cpu-prof`, e.g. BENCH_PROFILE=dir pnpm bench:peers) spent its time: self time by
 * package (or `node:` internals, native, idle/GC) and the top functions, as shares of the
 * samples. Several files are summed (both gateways).
 */
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** The package a script belongs to: `socket.io`, `@palaver/gateway`, `node:internal`, … */
function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node: internals';
  const store = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (store) return store[1] as string;
  const workspace = /\/(services|packages)\/([^/]+)\//.exec(url);
  return workspace ? `@palaver/${workspace[2]}` : url;
}

async function main() {
  const files = process.argv.slice(2);
  if (files.length === 0) throw new Error('usage: cpu-profile-summary.ts <file.cpuprofile>…');
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const file of files) {
    const profile = JSON.parse(await readFile(file, 'utf8')) as { nodes: ProfileNode[] };
    for (const node of profile.nodes) {
      const hits = node.hitCount ?? 0;
      if (hits === 0) continue;
      total += hits;
      const { functionName, url, lineNumber } = node.callFrame;
      const pkg = packageOf(url, functionName);
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + hits);
      const name = `${functionName || '(anonymous)'} ${url ? `${url.split('/').slice(-2).join('/')}:${lineNumber + 1}` : ''}`;
      byFunction.set(name, (byFunction.get(name) ?? 0) + hits);
    }
  }
  const top = (map: Map<string, number>, n: number) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, hits]) => `| ${((hits / total) * 100).toFixed(1)}% | ${name.trim()} |`);
  console.log(`${total} samples in ${files.length} profile(s)\n`);
  console.log(['| self | package |', '|---|---|', ...top(byPackage, 15)].join('\n'));
  console.log(`\n${['| self | function |', '|---|---|', ...top(byFunction, 25)].join('\n')}`);
}

await main();
