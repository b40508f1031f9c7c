import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Keeps the screens in small pieces: no function (a component, hook or helper) in web/src/ui
 * longer than 80 lines, no file longer than 400. Tests are left out: a `describe` is long.
 */
const maxFunctionLines = 80;
const maxFileLines = 400;

const folder = import.meta.dirname;
const sources = readdirSync(folder).filter((name) => /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name));

function longFunctions(name: string): string[] {
  const text = readFileSync(join(folder, name), 'utf8');
  const file = ts.createSourceFile(name, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = file.getLineAndCharacterOfPosition(node.getStart(file)).line;
      const end = file.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      if (lines > maxFunctionLines) found.push(`${name}:${start + 1} ${functionName(node)} (${lines} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

function functionName(node: ts.Node): string {
  if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node)) && node.name)
    return node.name.getText();
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent)) return parent.name.getText();
  return 'anonymous function';
}

describe('web/src/ui code health', () => {
  it('finds the sources it checks', () => {
    expect(sources).toContain('chat-screen.tsx');
    expect(sources).toContain('message-list.tsx');
  });

  it(`has no function over ${maxFunctionLines} lines`, () => {
    expect(sources.flatMap(longFunctions)).toEqual([]);
  });

  it(`has no file over ${maxFileLines} lines`, () => {
    const long = sources
      .map((name) => ({ name, lines: readFileSync(join(folder, name), 'utf8').split('\n').length }))
      .filter((file) => file.lines > maxFileLines)
      .map((file) => `${file.name} (${file.lines} lines)`);
    expect(long).toEqual([]);
  });
});
