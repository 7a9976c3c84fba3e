// The PyTorch export rules of the axis primitives (compiler/ops/export/torch.ts) evaluated by torch on
// each op's generated samples and documented edge cases, against the op's reference eval: argmax,
// argsort, take_along and scatter_along (out-of-range indices read 0 / are dropped, as in dlm), and linrec
// through the module preamble's _linrec. One
// python3 process; skipped, with the reason printed, when torch cannot be imported.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { PREAMBLE } from '../compiler/export/torch/preamble.js';
import { TORCH_RULES } from '../compiler/ops/export/torch.js';
import type { TorchEmitter } from '../compiler/ops/export/torchApi.js';
import type { OpDef } from '../compiler/ops/op.js';
import { OPS } from '../compiler/ops/registry.js';
import { isShapeError } from '../compiler/types/shapes.js';
import type { DType, TensorType } from '../compiler/types/types.js';
import { opCaseArb } from './helpers/genkit.js';
import { runTorch, torchUnavailable } from './helpers/torch.js';

const skip = torchUnavailable();
if (skip) console.warn(`tests/opsetExport.test.ts skipped: ${skip}`);

interface Case {
  op: OpDef;
  shapes: number[][];
  dtypes: DType[];
  attrs: Record<string, unknown>;
  inputs: number[][];
}

/** The rule's Python expression over inputs a, b (flat float64 tensors, reshaped and converted here). */
const expression = (c: Case): string => {
  const names = c.shapes.map((s, i) => `${'ab'[i]}.reshape(${s.length ? s.join(', ') : '()'})${c.dtypes[i] === 'i32' ? '.to(torch.int32)' : ''}`);
  const py: TorchEmitter = {
    tensor: (i) => names[i]!,
    as: (i) => names[i]!,
    tensorAs: (i) => names[i]!,
    shape: (dims) => `(${dims.join(', ')}${dims.length === 1 ? ',' : ''})`,
    dim: (d) => String(d),
    dtype: (t) => (t === 'i32' ? 'torch.int32' : t === 'bool' ? 'torch.bool' : 'torch.float64'),
  };
  const inTypes: TensorType[] = c.shapes.map((s, i) => ({ dtype: c.dtypes[i]!, shape: s }));
  const type = c.op.shape(inTypes, c.attrs as never) as TensorType;
  const rule = TORCH_RULES[c.op.name]!;
  if (!('emit' in rule)) throw new Error(`${c.op.name} has no PyTorch rule`);
  const e = `(${rule.emit(py, { args: names, inTypes, type, attrs: c.attrs as never })}).to(torch.float64)`;
  // a rule calling a preamble helper: define it first (exec into the evaluation's globals), then evaluate
  const helper = /_linrec\(/.test(e) ? PREAMBLE.slice(PREAMBLE.indexOf('def _linrec'), PREAMBLE.indexOf('\n\n\n', PREAMBLE.indexOf('def _linrec'))) : '';
  return helper ? `(exec(${JSON.stringify(helper)}, globals()), ${e})[1]` : e;
};

const OPNAMES = ['argmax', 'argsort', 'take_along', 'scatter_along', 'linrec'];
const cases: Case[] = OPNAMES.flatMap((name) => {
  const op = OPS[name]!;
  const sampled = fc.sample(opCaseArb(op), { numRuns: 12, seed: 9 }).map(({ sample, dtypes, inputs }) => ({
    op,
    shapes: sample.shapes.map((s) => [...s]),
    dtypes: [...dtypes],
    attrs: { ...sample.attrs },
    inputs: inputs.map((x) => [...x]),
  }));
  const edges = (op.edges ?? []).map((e) => ({
    op,
    shapes: e.ins.map((v) => [v.length]),
    dtypes: e.ins.map((_, i) => e.dtypes?.[i] ?? 'f32'),
    attrs: { ...e.attrs },
    inputs: e.ins.map((v) => [...v]),
  }));
  return [...sampled, ...edges].filter(
    (c) =>
      !isShapeError(
        op.shape(
          c.shapes.map((s, i) => ({ dtype: c.dtypes[i]!, shape: s })),
          c.attrs as never,
        ),
      ),
  );
});

describe.skipIf(skip !== undefined)('PyTorch export rules of the axis primitives', () => {
  const results = skip ? [] : runTorch(cases.map((c) => ({ expr: expression(c), inputs: c.inputs })));
  test.each(OPNAMES)('%s: torch evaluates the exported expression to the reference eval', (name) => {
    cases.forEach((c, k) => {
      if (c.op.name !== name) return;
      const t = c.op.shape(
        c.shapes.map((s, i) => ({ dtype: c.dtypes[i]!, shape: s })),
        c.attrs as never,
      ) as TensorType;
      const want = c.op.eval(
        c.shapes.map((s, i) => ({ shape: s, data: Float64Array.from(c.inputs[i]!) })),
        c.attrs as never,
        { dtype: t.dtype, shape: t.shape as number[] },
      );
      const got = results[k]!.out;
      expect(got.length, expression(c)).toBe(want.data.length);
      got.forEach((v, j) => {
        expect(
          Object.is(v, want.data[j]) || (Number.isNaN(v) && Number.isNaN(want.data[j]!)) || v === want.data[j],
          `${expression(c)} with ${JSON.stringify(c.inputs)} at ${j}: torch ${v}, dlm ${want.data[j]}`,
        ).toBe(true);
      });
    });
  });
});
