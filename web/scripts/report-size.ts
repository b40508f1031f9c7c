// Prints the gzipped size of the JavaScript a first visit loads (the entry script and the
// chunks index.html preloads) and fails the build above the budget. Run after `vite build`.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const budget = 200 * 1024;
const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const html = readFileSync(join(dist, 'index.html'), 'utf8');

const initial = [
  ...html.matchAll(/<script[^>]+type="module"[^>]+src="([^"]+\.js)"/g),
  ...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="([^"]+\.js)"/g),
].map((match) => match[1] ?? '');
if (initial.length === 0) {
  console.error('report-size: no module script found in dist/index.html');
  process.exit(1);
}

let total = 0;
for (const path of new Set(initial)) {
  const bytes = readFileSync(join(dist, path.replace(/^\//, '')));
  const gzipped = gzipSync(bytes, { level: 9 }).length;
  total += gzipped;
  console.log(`${path}  ${kb(bytes.length)} raw, ${kb(gzipped)} gzipped`);
}
console.log(`initial JS: ${kb(total)} gzipped (budget ${kb(budget)})`);
if (total > budget) {
  console.error('report-size: initial JS is over budget');
  process.exit(1);
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}
