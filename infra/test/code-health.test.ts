import { type Dirent, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The house limits on every source file of the services, packages and web client (tests
 * and benchmarks aside): no function over 80 lines and no file over 400, unless a comment
 * says why just above it ("Over 80 lines …", "Over 400 lines …"): factories whose short
 * methods share their dependencies, route tables, wiring.
 */
const maxFunctionLines = 80;
const maxFileLines = 400;

const root = join(import.meta.dirname, '..', '..');
const sourceRoots = ['services', 'packages'].flatMap((parent) =>
  readdirSync(join(root, parent)).map((name) => join(root, parent, name, 'src')),
);
sourceRoots.push(join(root, 'web', 'src'));

function sourcesUnder(folder: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(folder, { withFileTypes: true });
  } catch {
    return []; // a package without src/
  }
  return entries.flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourcesUnder(path);
    return /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$|\.d\.ts$/.test(entry.name) ? [path] : [];
  });
}

const sources = sourceRoots.flatMap(sourcesUnder);

/** The comment lines just above a line (blank lines end the run). */
function commentAbove(lines: string[], line: number): string {
  const above: string[] = [];
  for (let i = line - 1; i >= 0 && /^\s*(\/\/|\/\*|\*)/.test(lines[i] ?? ''); i--) above.push(lines[i] ?? '');
  return above.join('\n');
}

function longFunctions(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = file.getLineAndCharacterOfPosition(node.getStart(file)).line;
      const end = file.getLineAndCharacterOfPosition(node.getEnd()).line;
      // The statement the function stands in (`export const x = () => …`) carries the comment.
      let statement: ts.Node = node;
      while (statement.parent && !ts.isSourceFile(statement.parent) && !ts.isBlock(statement.parent))
        statement = statement.parent;
      const from = file.getLineAndCharacterOfPosition(statement.getStart(file)).line;
      if (end - start + 1 > maxFunctionLines && !/Over 80 lines/.test(commentAbove(lines, from)))
        found.push(`${relative(root, path)}:${start + 1} (${end - start + 1} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

describe('code health of every source file', () => {
  it('finds the sources it checks', () => {
    const names = sources.map((path) => relative(root, path));
    expect(names).toContain('services/message/src/app.ts');
    expect(names).toContain('packages/contracts/src/messages.ts');
    expect(names).toContain('web/src/chat/chat-client.ts');
  });

  it(`has no function over ${maxFunctionLines} lines without a reason above it`, () => {
    expect(sources.flatMap(longFunctions)).toEqual([]);
  });

  it(`has no file over ${maxFileLines} lines without a reason in it`, () => {
    const long = sources.filter((path) => {
      const text = readFileSync(path, 'utf8');
      return text.split('\n').length > maxFileLines && !/Over 400 lines/.test(text);
    });
    expect(long.map((path) => relative(root, path))).toEqual([]);
  });
});
