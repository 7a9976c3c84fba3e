// compiler/passes/index.ts, the pipelines as data: that each pass listed there runs where it is listed.
// PRE_GRAD (on a model's forward program, before differentiation): fold, stabilize and sinkRows, each seen
// in `model.ir.fn` and gone with `disable: [name]`; PIPELINE (after differentiation): order, here (dce,
// lower-custom and simplify are in tests/mutantsPasses.test.ts, cse in tests/cse.test.ts, fold in
// tests/fold.test.ts, each through PIPELINE). Checked against the two lists emptied and each pass dropped.
import { describe, expect, test } from 'vitest';
import { NO_SPAN } from '../compiler/diagnostics/span.js';
import { IrBuilder } from '../compiler/ir/builder.js';
import type { IrFunction } from '../compiler/ir/ir.js';
import { SCAN, scanInfo } from '../compiler/ir/scan.js';
import { PIPELINE } from '../compiler/passes/index.js';
import { runPasses } from '../compiler/passes/pass.js';
import { compileOk } from './helpers/compile.js';

const ops = (f: IrFunction) => f.nodes.map((n) => n.op);
const forward = (src: string, disable: string[] = []) => compileOk(src).model(undefined, { seed: 1, passes: { disable } }).ir.fn;

describe('PRE_GRAD: the forward program goes through fold, stabilize and sinkRows', () => {
  test('fold: a function of constants is a constant', () => {
    const src = 'model M {\n  input x: f32[3]\n  output y = x * exp(0)\n}';
    expect(ops(forward(src))).not.toContain('exp');
    expect(ops(forward(src, ['fold']))).toContain('exp');
  });

  test('stabilize: log of softmax becomes z − log Σ exp z (the output a sub, not the log of a quotient)', () => {
    const src = 'model M {\n  input x: f32[2, 3]\n  output y = log(softmax(x))\n}';
    const out = (f: IrFunction) => f.nodes.find((n) => n.id === f.outputs[0]!.id)!.op;
    expect([out(forward(src)), out(forward(src, ['stabilize']))]).toEqual(['sub', 'log']);
  });

  test('sinkRows: a readout after a checkpointed loop moves into its step', () => {
    const src = `model M {
  input x: f32[5, 2, 3]
  param U: f32[3, 3] = zeros
  param R: f32[3, 3] = zeros
  fn step(h, xt) = tanh(xt + h @ U)
  let hs = scan(step, broadcast_to(0, [2, 3]), x, checkpoint = 2)
  output o = tanh(hs @ R)
}`;
    const stepMatmuls = (f: IrFunction) =>
      f.nodes
        .filter((n) => n.op === SCAN)
        .flatMap((n) => scanInfo(n).body.nodes)
        .filter((n) => n.op === 'matmul').length;
    expect([stepMatmuls(forward(src)), stepMatmuls(forward(src, ['sinkRows']))]).toEqual([2, 1]);
  });
});

describe('PIPELINE', () => {
  test('order: a parameter update moves up to just after what it reads, before the rest of the step', () => {
    // h = x·w read by w's new value w − h/2; tanh(exp(x)) stands for the rest of the step, built before it
    const b = new IrBuilder();
    const f32 = { dtype: 'f32' as const, shape: [3] };
    const x = b.input('x', 'input', f32, NO_SPAN);
    const w = b.input('w', 'param', f32, NO_SPAN);
    const h = b.op('mul', [x, w]);
    const y = b.op('tanh', [b.op('exp', [x])]);
    const value = b.op('sub', [w, b.op('mul', [h, b.num(0.5)])]);
    const f = b.finish('step', [{ name: 'y', id: y }], [{ target: w, value }]);
    const at = (g: IrFunction, op: string) => ops(g).indexOf(op);
    const ordered = runPasses(PIPELINE, f);
    expect(at(ordered, 'sub')).toBeLessThan(at(ordered, 'exp'));
    const unordered = runPasses(PIPELINE, f, { disable: ['order'] });
    expect(at(unordered, 'sub')).toBeGreaterThan(at(unordered, 'tanh'));
  });
});
