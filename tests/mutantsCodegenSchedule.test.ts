// Checks of the scheduler (compiler/codegen/schedule.ts, scheduleContext.ts) written to kill the mutants
// `npm run mutate` left surviving there (docs/mutation.md lists them, and why the rest are equivalent).
// The plan (fusion.ts) decides where each value lives; the scheduler decides nothing but must follow it:
// a value is made where the plan puts it in node order, and the values a kernel reads from memory are
// made before that kernel. Kernels are described by the op of the node that made them, in order.
import { describe, expect, test } from 'vitest';
import { optimize } from '../compiler/api/model.js';
import { schedule } from '../compiler/codegen/schedule.js';
import { compileOrThrow } from '../compiler/index.js';
import { interpret } from '../compiler/ir/interp.js';
import { specialize } from '../compiler/jit/jit.js';
import { nd } from '../compiler/ops/ndarray.js';

const HEADER = '  input x: f32[2, 3]\n  input y: f32[3, 2]\n  input u: f32[2, 2, 2]\n';
const fnOf = (body: string) => optimize(compileOrThrow(`model M {\n${HEADER}${body}\n}`).model().ir.fn);
/** Each kernel as `writes <- reads: op` (the op of the node it computes; `add of matmul` for an epilogue). */
const words = (s: { kernels: readonly { writes: readonly string[]; reads: readonly string[]; note: string }[] }) =>
  s.kernels.map((k) => `${k.writes} <- ${k.reads}: ${k.note.split(/:| ->| of %/)[0]}`);
const scheduled = (body: string) => specialize(fnOf(body), new Map(), 'f64').schedule;

describe('schedule.ts: each value is made where the plan puts it', () => {
  test('a view of a contiguous copy is made at its place, before a late reduction read first', () => {
    // t = reshape(transpose(x)) needs x transposed into memory (a copy); s = sum(y) is late: made just
    // before mul, which reads s first. The copy belongs to t's place, before s (kills 43:16, 43:34).
    const s = scheduled('  let t = reshape(transpose(x), [2, 3])\n  let s = sum(y)\n  output out = s * t');
    expect(words(s)).toEqual(['t0 <- in0: transpose', 't2 <- in1: sum', 't1 <- t2,t0: mul']);
  });

  test('a matmul’s inputs are made where the matmul is, not where its epilogue kernel is', () => {
    // the stored constant (the ones matrix) is filled at the matmul's place, before exp (kills 44:14, 44:41, 44:59, 44:67)
    const s = scheduled('  let m = y @ ones([2, 4])\n  output b = exp(x)\n  output out = m + 1');
    expect(words(s)).toEqual(['t0 <- : broadcast_to', 't1 <- in0: exp', 't2 <- in1,t0: add of matmul']);
  });

  test('also when the matmul itself is late (its epilogue declined)', () => {
    // the epilogue through reshape + a transposed leaf is declined: the matmul becomes a late kernel,
    // made just before add, but its constant input is still filled at its place (kills 44:81, 44:89)
    const s = scheduled('  let m = x @ ones([3, 4])\n  output b = exp(y)\n  output out = reshape(m, [2, 2, 2]) + transpose(u, [0, 2, 1])');
    expect(words(s)).toEqual(['t0 <- : broadcast_to', 't1 <- in1: exp', 't3 <- in0,t0: matmul', 't2 <- t3,in2: add']);
  });
});

describe('schedule.ts: outputs', () => {
  test('an output that is the start of a larger buffer gets a buffer of its own size', () => {
    // tanh(x)[0:1] is a contiguous view at offset 0 of tanh's [2, 3] buffer: given out as it is, the output
    // would be 6 numbers (kills 54:19, `whole` always true)
    const f = fnOf('  output a = tanh(x)[0:1]');
    const s = specialize(f, new Map(), 'f64');
    expect(words(s.schedule)).toEqual(['t0 <- in0: tanh', 't1 <- t0: copy']);
    const x = Float64Array.from([0.1, -0.5, 2, 3, 4, 5]);
    s.module.run([x, new Float64Array(6), new Float64Array(8)]);
    const ref = interpret(f, { x: nd([2, 3], x), y: nd([3, 2], new Float64Array(6)), u: nd([2, 2, 2], new Float64Array(8)) }, new Map()).outputs['a']!;
    expect([...s.outputs['a']!]).toEqual([...ref.data]);
    expect([...ref.data]).toEqual([0.1, -0.5, 2].map(Math.tanh));
  });
});

describe('schedule.ts: called with its defaults', () => {
  test('kernels and buffers are named from k0 and t0; in JavaScript a batch input a SIMD matmul reads is copied', () => {
    // schedule(f, env): no prefix (kills 28:12) and JavaScript addressing (kills 30:28: any other copies nothing)
    const s = schedule(fnOf('  output out = x @ y'), new Map());
    expect(s.kernels.map((k) => k.name)).toEqual(['k0', 'k1']);
    // y, the SIMD kernel's right operand, is copied whole; t2 is the kernel's scratch for a block of rows
    expect(words(s)).toEqual(['t0 <- in1: copy of input y into WebAssembly memory', 't1 <- in0,t2,t0: matmul']);
  });
});
