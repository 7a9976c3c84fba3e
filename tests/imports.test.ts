// The import graph of compiler/ and runtime/ (value imports; `import type` is erased) has no circles,
// but one left to design out (issue 21): the built-ins of check/ and the expression checker they are
// called from. A new circle, or a module joining that one, fails here.
import { readFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { dirname, join, normalize } from 'node:path';
import { expect, test } from 'vitest';

const KNOWN = ['compiler/check/builtins.ts', 'compiler/check/builtinsOpset.ts', 'compiler/check/builtinsShape.ts', 'compiler/check/einsum.ts', 'compiler/check/scan.ts'];

/** Strongly connected components of more than one module (Tarjan). */
const circles = (g: Map<string, string[]>): string[][] => {
  let next = 0;
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], on = new Set<string>(), out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next); low.set(v, next); next++; stack.push(v); on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!g.has(w)) continue;
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const c: string[] = [];
    let w: string;
    do { w = stack.pop()!; on.delete(w); c.push(w); } while (w !== v);
    if (c.length > 1) out.push(c.sort());
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return out;
};

test('no import circles in compiler/ and runtime/ but the known one in check/', () => {
  const files = execSync('git ls-files compiler runtime', { encoding: 'utf8' }).split('\n').filter((f) => f.endsWith('.ts'));
  const g = new Map<string, string[]>();
  for (const f of files) {
    const src = readFileSync(f, 'utf8');
    const deps = [...src.matchAll(/^(?:import|export)\s+(type\s+)?[^'";]*?from\s+'(\.[^']+)'/gm)]
      .filter((m) => !m[1]).map((m) => normalize(join(dirname(f), m[2]!.replace(/\.js$/, '.ts'))));
    g.set(f, deps);
  }
  expect(circles(g)).toEqual([KNOWN]);
});
