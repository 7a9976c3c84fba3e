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

  // Issue 21: every fusion decision is fusion.ts's; the scheduler (schedule.ts and the two files it is
  // split into) only turns placements into kernels, so it never builds a placement or plan, nor reads the
  // thresholds and rules that decide them, and each file stays small.
  test('the scheduler decides no placement and each of its files is at most 300 lines', () => {
    const files = ['schedule.ts', 'scheduleContext.ts', 'nodeKernels.ts'].map((f) => join('compiler', 'codegen', f));
    const kinds = 'input|constant|view|inline|broadcast|row|epilogue|buffer|loopResult|unused|map|reduce|contraction|pieces|kernel|scan';
    const problems: string[] = [];
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      if (text.split('\n').length > 300) problems.push(`${f}: ${text.split('\n').length} lines`);
      if (new RegExp(`(?<!& )\\{ k: '(${kinds})'`).test(text)) problems.push(`${f}: builds a placement or kernel plan`);
      if (/\bplace\(|\bP\.set\(|CHEAP_OPS|EPILOGUE|epilogueConsumer|axisGroups/.test(text)) problems.push(`${f}: reads or makes a fusion decision`);
      const fromFusion = [...text.matchAll(/^import \{([^}]*)\} from '\.\/fusion(Rules)?\.js'/gm)].flatMap((m) => m[1]!.split(',').map((s) => s.trim()));
      const values = fromFusion.filter((s) => s && !s.startsWith('type ') && s !== 'planFusion' && s !== 'graphOf');
      if (values.length) problems.push(`${f}: imports ${values.join(', ')} from the fusion plan`);
    }
    expect(problems).toEqual([]);
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
