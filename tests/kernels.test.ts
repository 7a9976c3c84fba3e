// Snapshots of the code dlm emits for a few canonical kernels, so a reviewer sees what fusion does and
// notices when it changes. Update deliberately with `npx vitest run tests/kernels.test.ts -u`.
import { expect, test } from 'vitest';
import { compileOrThrow } from '../compiler/index.js';
import { optimize } from '../compiler/api/model.js';
import { Trainer } from '../compiler/api/trainer.js';
import { specialize } from '../compiler/jit/jit.js';
import type { IrFunction } from '../compiler/ir/ir.js';
import { selectOutputs } from '../compiler/train/step.js';

/** The kernels and `run` of a specialized program, without the shared prelude of helper functions. */
const kernels = (f: IrFunction, dims: Record<string, number>, disable: string[] = []): string => {
  const src = specialize(optimize(f), new Map(Object.entries(dims)), 'f32', disable).source;
  // the wasm backend's source: the listing of its loops, then a line with the module's bytes
  return src.slice(src.indexOf('\n// k0'), src.includes('\n//# dlm-wasm ') ? src.indexOf('\n//# dlm-wasm ') : undefined).trim();
};

/** The kernels computing one output of a model written in `src`. */
const outputKernels = (src: string, output: string, dims: Record<string, number>): string =>
  kernels(selectOutputs(compileOrThrow(src).model().ir.fn, [output]), dims);
const kernelCount = (code: string): number => code.match(/^function k\d+/gm)?.length ?? 0;

const LAYER = `import nn
model Layer {
  input x: f32[B, 8]
  target y: i32[B]
  layer dense = nn.Dense(8, 4)
  output logits = dense(x)
  output h = relu(logits)
  loss nn.cross_entropy(logits, y)
}`;

test('a dense layer with bias and tanh: one matmul kernel with a fused epilogue', () => {
  const code = outputKernels('import nn\nmodel L {\n  input x: f32[B, 8]\n  layer dense = nn.Dense(8, 4)\n  output h = tanh(dense(x))\n}', 'h', { B: 4 });
  expect(kernelCount(code)).toBe(1);
  expect(code).toMatchSnapshot();
});

test('without SIMD kernels (and in float64) a matmul is a loop nest of 4×4 register tiles, its epilogue in the store', () => {
  const code = kernels(
    selectOutputs(compileOrThrow('import nn\nmodel L {\n  input x: f32[B, 8]\n  layer dense = nn.Dense(8, 4)\n  output h = tanh(dense(x))\n}').model().ir.fn, [
      'h',
    ]),
    { B: 4 },
    ['simd'],
  );
  expect(code).not.toMatch(/mm_rows|mm_dots/);
  expect(code).toMatchSnapshot();
});

test('softmax cross-entropy: forward and the logits gradient (softmax − one-hot)/B', () => {
  const m = compileOrThrow(LAYER).model();
  expect(kernels(m.gradProgram(), { B: 4 })).toMatchSnapshot();
});

test('an SGD step: the weights are updated in place, after the guard checked the loss and the gradient norm', () => {
  const m = compileOrThrow(LAYER).model();
  const code = kernels(new Trainer(m, { optimizer: 'sgd', hyper: { lr: 0.1 } }).program.fn, { B: 4 });
  expect(code).not.toMatch(/\bin\d+\.set\(t\d+/);
  expect(code).toMatchSnapshot();
});

test('softmax: the row max and the exponentials in one kernel, the row sum and the division in another', () => {
  const code = outputKernels('model S {\n  input x: f32[B, 6]\n  output p = softmax(x)\n}', 'p', { B: 3 });
  expect(kernelCount(code)).toBe(2);
  expect(code).toMatchSnapshot();
});

test('a dense layer with bias and ReLU, where(x <= 0, 0, x) reading x twice: still one kernel', () => {
  const code = outputKernels('import nn\nmodel L {\n  input x: f32[B, 8]\n  layer dense = nn.Dense(8, 4)\n  output h = relu(dense(x))\n}', 'h', { B: 4 });
  expect(kernelCount(code)).toBe(1);
  expect(code).toMatch(/ <= 0 \? /);
});
