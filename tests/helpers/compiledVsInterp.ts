// Compiled float64 code against the interpreter on one program, for the mutation tests of the code
// generator (tests/mutantsCodegen*.test.ts) and the fusion properties (tests/fusion*.test.ts): the same
// deterministic inputs on both sides.
import { expect } from 'vitest';
import { optimize } from '../../compiler/api/model.js';
import { compileOrThrow } from '../../compiler/index.js';
import { interpret } from '../../compiler/ir/interp.js';
import type { IrFunction } from '../../compiler/ir/ir.js';
import { specialize } from '../../compiler/jit/jit.js';
import type { BackendChoice } from '../../compiler/pipeline.js';
import { nd } from '../../compiler/ops/ndarray.js';
import { compileOk } from './compile.js';

/** The forward program of a source's only model, through the PRE_GRAD passes. */
export const fnOf = (src: string): IrFunction => optimize(compileOrThrow(src).model().ir.fn);

/** n deterministic values in [−1, 1], different for each seed. */
export const numbers = (n: number, seed: number): Float64Array => Float64Array.from({ length: n }, (_, i) => Math.sin(seed * 3.7 + i * 1.3));

/** The largest difference between the compiled float64 outputs (js backend) and the interpreter's. */
export const worst = (f: IrFunction): number => {
  const s = specialize(f, new Map(), 'f64', [], undefined, 'js');
  const feeds = s.schedule.inputs.map((inp, k) =>
    numbers(
      inp.shape.reduce((a, b) => a * b, 1),
      k + 1,
    ),
  );
  s.module.run(feeds);
  const ref = interpret(f, Object.fromEntries(s.schedule.inputs.map((inp, k) => [inp.name, nd(inp.shape, feeds[k]!)])), new Map()).outputs;
  let w = 0;
  for (const [name, r] of Object.entries(ref)) {
    const got = s.outputs[name]!;
    expect(got.length).toBe(r.data.length);
    for (let i = 0; i < r.data.length; i++) w = Math.max(w, Math.abs(got[i]! - r.data[i]!));
  }
  return w;
};

/** Deterministic values in ±1.5 for an input of `shape`, different for each seed. */
const sinData = (shape: readonly number[], seed: number): Float64Array =>
  Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(seed * 7.1 + i * 1.37) * 1.5);

/**
 * The largest relative difference |compiled − interpreted| / (1 + |interpreted|) over every output of
 * `model P { <inputs declared> <body> }`, compiled in float64 (a NaN difference counts as ∞).
 */
export const modelWorst = (
  body: string,
  inputs: Readonly<Record<string, readonly number[]>>,
  opts: { readonly disable?: readonly string[]; readonly backend?: BackendChoice } = {},
): number => {
  const decls = Object.entries(inputs)
    .map(([k, s]) => `  input ${k}: f32[${s.join(', ')}]`)
    .join('\n');
  const m = compileOk(`model P {\n${decls}\n${body}\n}`).model('P', {
    passes: { disable: [...(opts.disable ?? [])] },
    ...(opts.backend ? { backend: opts.backend } : {}),
  });
  const feeds = Object.fromEntries(Object.entries(inputs).map(([k, s], i) => [k, { data: sinData(s, i + 1), shape: [...s] }]));
  const compiled = m.run(m.ir.fn, feeds, 'f64').outputs;
  const ref = interpret(m.ir.fn, Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, nd(t.shape, t.data)])), new Map()).outputs;
  let w = 0;
  for (const [name, r] of Object.entries(ref)) {
    const got = compiled[name]!;
    expect(got.length).toBe(r.data.length);
    for (let i = 0; i < r.data.length; i++) {
      const d = Math.abs(got[i]! - r.data[i]!) / (1 + Math.abs(r.data[i]!));
      w = Math.max(w, Number.isNaN(d) ? Infinity : d);
    }
  }
  return w;
};
