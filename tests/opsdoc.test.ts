// README's op table and built-ins list are the registry's: every primitive with what it computes, the
// special values it documents and where PyTorch differs (and why); the README's list of primitives
// callable by name is exactly the registry's public ops. On a mismatch the expected table is printed.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { OpDef } from '../compiler/ops/op.js';
import { OPS } from '../compiler/ops/registry.js';
import { BUILTINS } from '../compiler/check/builtins.js';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

const num = (x: number): string => {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '∞';
  if (x === -Infinity) return '−∞';
  if (Object.is(x, -0)) return '−0';
  if (Math.abs(x) === Math.PI / 2) return x < 0 ? '−π/2' : 'π/2';
  if (x === 1 / 3) return '1/3';
  return String(x).replace('-', '−');
};
const cell = (s: string): string => s.replace(/\|/g, '\\|');

/** One row per primitive, in registry order. */
export const opTable = (ops: readonly OpDef[] = Object.values(OPS)): string => {
  const rows = ops.map((op) => {
    const vec = (v: readonly number[]) => `[${v.map(num).join(', ')}]`;
    const attrs = (a: Readonly<Record<string, unknown>>) => Object.entries(a).map(([k, v]) => `${k} = ${String(v)}`).join(', ');
    const special = [...(op.special ?? []).map((s) => `${op.name}(${s.at.map(num).join(', ')}) = ${num(s.out)}`),
      ...(op.edges ?? []).map((e) => `${op.name}(${e.ins.map(vec).join(', ')}; ${attrs(e.attrs)}) = ${e.out.length === 1 ? num(e.out[0]!) : vec(e.out)}`)].join('; ');
    const torch = [...(op.special ?? []).filter((s) => s.torch).map((s) => `${op.name}(${s.at.map(num).join(', ')}) = ${num(s.torch!.out)}: ${s.torch!.why}`),
      ...(op.differs ? [op.differs] : [])].join('; ');
    return `| \`${op.name}\`${op.internal ? ' (internal)' : ''} | ${cell(op.doc)} | ${cell(special || '—')} | ${cell(torch || 'same')} |`;
  });
  return ['| op | what it computes, conventions | special values | PyTorch, where it differs |', '|---|---|---|---|', ...rows].join('\n');
};

const between = (text: string, begin: string, end: string): string => {
  const i = text.indexOf(begin), j = text.indexOf(end, i);
  return i < 0 || j < i ? '' : text.slice(i + begin.length, j).trim();
};

describe('README', () => {
  test('the op table is generated from the registry (every op, its conventions and PyTorch’s)', () => {
    const want = opTable();
    const have = between(README, '<!-- op table: generated from the registry by tests/opsdoc.test.ts -->', '<!-- end of op table -->');
    if (have !== want) console.log(`README op table should be:\n${want}`);
    expect(have).toBe(want);
  });
  test('the built-ins list names exactly the public primitives of the registry, and every built-in', () => {
    const words = (t: string) => [...t.matchAll(/`([^`]+)`/g)].flatMap((m) => m[1]!.split(/[\s(),=]+/)).filter((w) => /^[A-Za-z_]/.test(w));
    const listed = words(between(README, '**Built-ins.** Primitives:', 'with compile-time arguments')).sort();
    const registry = Object.values(OPS).filter((op) => !op.internal).map((op) => op.name).sort();
    expect(listed).toEqual(registry);
    const paragraph = new Set(words(between(README, '**Built-ins.**', 'Reserved words:')));
    expect(Object.keys(BUILTINS).filter((b) => !paragraph.has(b))).toEqual([]);
  });
});
