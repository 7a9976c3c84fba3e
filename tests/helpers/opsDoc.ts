// README's op table, generated from the registry (tests/opsdoc.test.ts keeps README equal to it): one row
// per primitive with what it computes, its documented special values and where PyTorch differs.
import type { OpDef } from '../../compiler/ops/op.js';
import { OPS } from '../../compiler/ops/registry.js';

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
    const attrs = (a: Readonly<Record<string, unknown>>) =>
      Object.entries(a)
        .map(([k, v]) => `${k} = ${String(v)}`)
        .join(', ');
    const special = [
      ...(op.special ?? []).map((s) => `${op.name}(${s.at.map(num).join(', ')}) = ${num(s.out)}`),
      ...(op.edges ?? []).map((e) => `${op.name}(${e.ins.map(vec).join(', ')}; ${attrs(e.attrs)}) = ${e.out.length === 1 ? num(e.out[0]!) : vec(e.out)}`),
    ].join('; ');
    const torch = [
      ...(op.special ?? []).filter((s) => s.torch).map((s) => `${op.name}(${s.at.map(num).join(', ')}) = ${num(s.torch!.out)}: ${s.torch!.why}`),
      ...(op.differs ? [op.differs] : []),
    ].join('; ');
    return `| \`${op.name}\`${op.internal ? ' (internal)' : ''} | ${cell(op.doc)} | ${cell(special || '—')} | ${cell(torch || 'same')} |`;
  });
  return ['| op | what it computes, conventions | special values | PyTorch, where it differs |', '|---|---|---|---|', ...rows].join('\n');
};
