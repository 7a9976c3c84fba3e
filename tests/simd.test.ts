// Float32 matmuls through the runtime's WebAssembly SIMD kernels (codegen step `simd`): the same
// training as the scalar loops up to float32 rounding — through a scan that captures its weights,
// attention's batched and transposed products, two losses whose steps share parameters, and batches of
// alternating sizes (two compiled steps passing the parameters between their memories). (Attention
// trains with SGD: the key bias's gradient is zero in exact arithmetic, and Adam would scale the
// rounding noise left in its place up to full-size steps.)
import { describe, expect, test } from 'vitest';
import { compileOrThrow } from '../compiler/index.js';
import { lstmMomentumSource, twoLossesSource } from './helpers/models.js';
import { Trainer } from '../compiler/api/trainer.js';
import { optimize } from '../compiler/api/model.js';
import { specialize } from '../compiler/jit/jit.js';
import { JS_SIMD } from '../compiler/pipeline.js';
import { Rng } from '../runtime/random.js';
import type { Tensor } from '../runtime/tensor.js';
import { instantiate, type HomeSlot } from '../runtime/compiled.js';

const MODELS: Record<string, { src: string; batch: (r: Rng, B: number) => Record<string, Tensor> }> = {
  lstm: {
    src: lstmMomentumSource(6, 5, 12),
    batch: (r, B) => ({
      x: { data: Float32Array.from({ length: B * 30 }, () => r.normal()), shape: [B, 6, 5] },
      y: { data: Int32Array.from({ length: B * 6 }, () => r.int(5)), shape: [B, 6] },
    }),
  },
  attention: {
    src: `import nn
import seq
model M {
  input x: f32[B, 7, 16]
  target y: i32[B, 7]
  layer block = seq.EncoderBlock(16, 2, 24)
  layer readout = nn.Dense(16, 5)
  output logits = readout(block(x, causal_mask(7)))
  loss nn.sequence_cross_entropy(logits, y)
  optimizer sgd(lr = 0.05, momentum = 0.9)
}`,
    batch: (r, B) => ({
      x: { data: Float32Array.from({ length: B * 7 * 16 }, () => r.normal()), shape: [B, 7, 16] },
      y: { data: Int32Array.from({ length: B * 7 }, () => r.int(5)), shape: [B, 7] },
    }),
  },
  two_losses: {
    src: twoLossesSource(9),
    batch: (r, B) => ({ x: { data: Float32Array.from({ length: B * 9 }, () => r.normal()), shape: [B, 9] } }),
  },
};

/** Trains 4 steps, batch sizes cycling through `sizes`; returns parameters and optimizer state by name. */
const train = (name: string, disable: string[], sizes: number[]) => {
  const { src, batch } = MODELS[name]!;
  const m = compileOrThrow(src).model('M', { seed: 3, passes: { disable } });
  const t = new Trainer(m);
  const r = new Rng(11);
  const losses = [0, 1, 2, 3].map((s) => t.step(batch(r, sizes[s % sizes.length]!)).loss);
  return { m, t, losses, values: { ...m.params, ...t.state } };
};

describe.each(Object.keys(MODELS))('%s', (name) => {
  test.each([[[4]], [[4, 3]]])('SIMD matches the scalar loops to float32 rounding (batch sizes %j)', (sizes) => {
    const on = train(name, [], sizes),
      off = train(name, ['simd'], sizes);
    on.losses.forEach((l, i) => {
      expect(l).toBeCloseTo(off.losses[i]!, 4);
    });
    for (const [k, v] of Object.entries(off.values)) {
      const w = on.values[k]!;
      for (let i = 0; i < v.length; i++) expect(Math.abs(w[i]! - v[i]!), `${k}[${i}]`).toBeLessThan(1e-4 * (1 + Math.abs(v[i]!)));
    }
  });

  test('the step calls the SIMD kernels, and the parameters live in its memory after a step', () => {
    const { m, t } = train(name, [], [4]);
    const spec = t.compile(MODELS[name]!.batch(new Rng(0), 4))[0]!;
    expect(spec.source).toMatch(/mm_(rows|dots)\(/);
    const homes = new Set(spec.module.homes);
    for (const k of Object.keys(m.params)) expect(homes.has(m.params[k]!), k).toBe(true);
  });
});

test('a product neither kernel can read (both operands transposed, in the arena) keeps the scalar loop nest', () => {
  const m = compileOrThrow('model T {\n  input a: f32[6, 5]\n  input b: f32[7, 6]\n  output c = transpose(exp(a)) @ transpose(exp(b))\n}').model();
  const spec = specialize(optimize(m.ir.fn), new Map());
  expect(spec.source).not.toMatch(/mm_(rows|dots)\(/);
  expect(spec.source).toContain('4x4 register tiles');
});

test('JavaScript loops (standalone modules): a batch input read as A is copied a panel of rows at a time, not as a whole', () => {
  const m = compileOrThrow('model T {\n  input x: f32[64, 300]\n  param W: f32[300, 8] = normal(std = 0.1)\n  output y = x @ W\n}').model();
  const spec = specialize(optimize(m.ir.fn), new Map(), 'f32', [], undefined, JS_SIMD);
  expect(spec.source).toMatch(/mm_rows\(/);
  expect(spec.source).toContain('A copied in');
  expect(spec.plan.arenaSize).toBeLessThan((64 * 300) / 4);
  const x = Float32Array.from({ length: 64 * 300 }, (_, i) => Math.sin(i));
  const y = m.forward({ x: { data: x, shape: [64, 300] } })['y']!;
  const W = m.params['W']!;
  for (const [i, j] of [
    [0, 0],
    [63, 7],
    [17, 3],
  ] as const) {
    let s = 0;
    for (let k = 0; k < 300; k++) s += x[i * 300 + k]! * W[k * 8 + j]!;
    expect(y.data[i * 8 + j]).toBeCloseTo(s, 4);
  }
});

test('float64 programs never call the float32 kernels', () => {
  const m = compileOrThrow(MODELS['attention']!.src).model('M');
  const spec = specialize(optimize(m.ir.fn), new Map([['B', 2]]), 'f64');
  expect(spec.source).not.toMatch(/mm_(rows|dots)\(|homes/);
});

test('generated JavaScript says how to load it; loaded with the runtime alone it computes what the JIT does', () => {
  const m = compileOrThrow(MODELS['lstm']!.src).model('M', { seed: 2 });
  const spec = specialize(optimize(m.ir.fn), new Map([['B', 3]]), 'f32', [], undefined, JS_SIMD);
  const header = spec.source.split('\n')[1]!;
  const args = /^\/\/ load with dlm\/runtime: instantiate\(source, (\d+), 'f32', (\{ homes: .* \})\)$/.exec(header);
  expect(args, header).not.toBeNull();
  const simd = new Function(`return ${args![2]}`)() as { homes: HomeSlot[] };
  const loaded = instantiate(spec.source, Number(args![1]), 'f32', simd);
  const batch = MODELS['lstm']!.batch(new Rng(4), 3);
  const ins = spec.schedule.inputs.map((s) => (batch[s.name] ?? { data: m.params[s.name] ?? m.hyperDefaults()[s.name]!.data }).data);
  expect(loaded.run(ins)).toBe(true);
  spec.module.run(ins);
  const loss = spec.schedule.outputs.find((o) => o.name === 'loss')!;
  expect(loaded.buffers[loss.buf]![0]).toBe(spec.outputs['loss']![0]);
});
