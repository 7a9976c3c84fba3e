// The import graph of compiler/ and runtime/ (value imports; `import type` is erased) has no circles:
// a new one fails here, naming its modules. (check/'s built-ins read their arguments through
// check/args.ts, not through the table that lists them, so the last circle is gone.)
import { readFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { dirname, join, normalize } from 'node:path';
import { expect, test } from 'vitest';

/** Strongly connected components of more than one module (Tarjan). */
const circles = (g: Map<string, string[]>): string[][] => {
  let next = 0;
  const index = new Map<string, number>(),
    low = new Map<string, number>(),
    stack: string[] = [],
    on = new Set<string>(),
    out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!g.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const c: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      on.delete(w);
      c.push(w);
    } while (w !== v);
    if (c.length > 1) out.push(c.sort());
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return out;
};

test('no import circles in compiler/ and runtime/', () => {
  const files = execSync('git ls-files compiler runtime', { encoding: 'utf8' })
    .split('\n')
    .filter((f) => f.endsWith('.ts'));
  const g = new Map<string, string[]>();
  for (const f of files) {
    const src = readFileSync(f, 'utf8');
    const deps = [...src.matchAll(/^(?:import|export)\s+(type\s+)?[^'";]*?from\s+'(\.[^']+)'/gm)]
      .filter((m) => !m[1])
      .map((m) => normalize(join(dirname(f), m[2]!.replace(/\.js$/, '.ts'))));
    g.set(f, deps);
  }
  expect(circles(g)).toEqual([]);
});
