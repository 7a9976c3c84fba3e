// What fusion and memory planning do to generated code: elementwise chains become one flat loop,
// matmul + bias + activation one kernel, reductions absorb their producers, and buffers share the
// arena only when their lifetimes do not overlap.
import { describe, expect, test } from 'vitest';
import { selectOutputs } from '../compiler/train/step.js';
import { Trainer } from '../compiler/api/trainer.js';
import { compileOk } from './helpers/compile.js';
import { PRELUDE } from '../compiler/codegen/emitJs.js';

const spec = (src: string, inputs: Record<string, { data: Float32Array; shape: number[] }>, outputs?: string[]) => {
  const m = compileOk(src).model();
  return m.run(outputs ? selectOutputs(m.ir.fn, outputs) : m.ir.fn, inputs);
};

describe('fusion', () => {
  test('an elementwise chain is one kernel with one flat loop', () => {
    const s = spec('model E {\n  input x: f32[64, 10]\n  output y = 1 / (1 + exp(-x)) * 2 - tanh(x)\n}', {
      x: { data: new Float32Array(640), shape: [64, 10] },
    });
    expect(s.schedule.kernels.length).toBe(1);
    // loops of the kernels, after the prelude (whose math functions, e.g. erf, have loops of their own)
    expect(s.source.slice(s.source.indexOf(PRELUDE.at(-1)!) + PRELUDE.at(-1)!.length).match(/for \(/g)!.length).toBe(1);
    expect(s.source).toMatch(/i_\d+ < 640;/);
  });

  test('matmul + bias + activation is one kernel (a fused epilogue)', () => {
    const s = spec('import nn\nmodel D {\n  input x: f32[B, 8]\n  layer l = nn.Dense(8, 5)\n  output y = sigmoid(l(x))\n}', {
      x: { data: new Float32Array(32), shape: [4, 8] },
    });
    expect(s.schedule.kernels.length).toBe(1);
    expect(s.source).toContain('fused epilogue');
    // the SIMD product of a block of rows sits in a scratch buffer; bias and sigmoid are applied as it is stored
    expect(s.source).toMatch(/mm_rows\(/);
    expect(s.source).toMatch(/= sigmoid\(\(t\d+\[\(\(r_\d+ \* 5\) \+ j_\d+\)\] \+ in\d\[j_\d+\]\)\)/);
  });

  test('a reduction absorbs the elementwise chain that feeds it', () => {
    const s = spec('model R {\n  input x: f32[16, 10]\n  output s = sum(exp(x) * 2, -1)\n}', { x: { data: new Float32Array(160), shape: [16, 10] } });
    expect(s.schedule.kernels.length).toBe(1);
    expect(s.source).toMatch(/acc_\d+ \+= Math\.exp\(in0\[/);
  });

  test('the MNIST MLP forward pass is three kernels', () => {
    const src =
      'import nn\n' +
      'model M {\n' +
      '  input x: f32[B, 784]\n' +
      '  layer a = nn.Dense(784, 16)\n' +
      '  layer b = nn.Dense(16, 16)\n' +
      '  layer c = nn.Dense(16, 10)\n' +
      '  output y = c(sigmoid(b(sigmoid(a(x)))))\n' +
      '}';
    expect(spec(src, { x: { data: new Float32Array(784 * 2), shape: [2, 784] } }).schedule.kernels.length).toBe(3);
  });
});

describe('memory plan', () => {
  test('buffers that are live at the same time never overlap; reuse shrinks the arena', () => {
    const m = compileOk(
      'import nn\n' +
        'model T {\n' +
        '  input x: f32[B, 20]\n' +
        '  target y: i32[B]\n' +
        '  layer a = nn.Dense(20, 30)\n' +
        '  layer b = nn.Dense(30, 10)\n' +
        '  output logits = b(relu(a(x)))\n' +
        '  loss nn.cross_entropy(logits, y)\n' +
        '}',
    ).model();
    const t = new Trainer(m);
    t.step({ x: { data: new Float32Array(160), shape: [8, 20] }, y: { data: new Int32Array(8), shape: [8] } });
    const s = (t as unknown as { groups: { last: { spec: import('../compiler/jit/jit.js').Specialized } }[] }).groups[0]!.last.spec;
    const { plan, schedule } = s;
    expect(plan.arenaSize).toBeLessThanOrEqual(plan.unplannedSize);
    expect(plan.arenaSize).toBeGreaterThanOrEqual(plan.peakLive);
    const life = new Map<string, [number, number]>();
    schedule.kernels.forEach((k, i) => {
      [...k.writes, ...k.reads].forEach((b) => {
        const l = life.get(b);
        life.set(b, [l ? l[0] : i, i]);
      });
    });
    const pinned = new Set([...schedule.outputs.map((o) => o.buf), ...schedule.updates.map((u) => u.buf)]);
    const ps = plan.placements;
    for (const p of ps)
      for (const q of ps) {
        if (p.name >= q.name) continue;
        const [a0, a1] = life.get(p.name) ?? [0, 0],
          [b0, b1] = life.get(q.name) ?? [0, 0];
        const end = schedule.kernels.length;
        const liveTogether = Math.max(a0, b0) <= Math.min(pinned.has(p.name) ? end : a1, pinned.has(q.name) ? end : b1);
        const overlap = p.offset < q.offset + q.size && q.offset < p.offset + p.size;
        expect(liveTogether && overlap, `${p.name} and ${q.name}`).toBe(false);
      }
  });
});
