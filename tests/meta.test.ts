// Repository rules: small files, no switching on primitive names outside compiler/ops/, the runtime
// never imports the compiler, and generated code only through the emitter.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { OPS } from '../compiler/ops/registry.js';

const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
const sources = (dir: string) => walk(dir).filter((f) => f.endsWith('.ts') && !f.includes('ohm-bundle'));

describe('repository rules', () => {
  test('no source file over 800 lines', () => {
    const big = [...sources('compiler'), ...sources('runtime')].map((f) => [f, readFileSync(f, 'utf8').split('\n').length] as const).filter(([, n]) => n > 800);
    expect(big).toEqual([]);
  });

  test('no switch on a primitive name outside compiler/ops/ (case, ===/!== against an op, a registry lookup by a literal name)', () => {
    const names = Object.keys(OPS);
    const offenders: string[] = [];
    for (const f of sources('compiler').filter((p) => !p.includes(join('compiler', 'ops')))) {
      const text = readFileSync(f, 'utf8');
      for (const n of names) {
        const compared = new RegExp(`op [!=]== '${n}'|'${n}' [!=]== [\\w.]*op\\b|OPS\\['${n}'\\]|opDef\\('${n}'\\)`);
        if (new RegExp(`case '${n}'`).test(text) || compared.test(text)) offenders.push(`${f}: ${n}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  test('runtime/ never imports compiler/', () => {
    const bad = sources('runtime').filter((f) => /from '\.\.\/(\.\.\/)?compiler\//.test(readFileSync(f, 'utf8')));
    expect(bad).toEqual([]);
  });

  test('only the module loader calls new Function', () => {
    const users = [...sources('compiler'), ...sources('runtime')].filter((f) => readFileSync(f, 'utf8').includes('new Function('));
    expect(users).toEqual([join('runtime', 'compiled.ts')]);
  });
});
