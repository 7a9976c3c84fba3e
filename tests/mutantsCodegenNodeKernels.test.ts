// Checks of the kernel of each placed node (compiler/codegen/nodeKernels.ts) written to kill the mutants
// `npm run mutate` left surviving there (docs/mutation.md lists them, and why the rest are equivalent):
// compiled float64 values (js backend) against the interpreter for the kernels no other test in the
// file's set compiles, and which kernels and buffers the schedule makes (SIMD or scalar loops, notes).
import { describe, expect, test } from 'vitest';
import { fnOf, worst } from './helpers/compiledVsInterp.js';
import { schedule } from '../compiler/codegen/schedule.js';
import type { Schedule } from '../compiler/codegen/scheduleTypes.js';

/** Each kernel's note up to its type, and whether its body calls an extern (SIMD) kernel. */
const kernels = (s: Schedule) => s.kernels.map((k) => `${k.note.split(/:| ->/)[0]}${JSON.stringify(k.body).includes('"k":"extern"') ? ' (extern)' : ''}`);
const temps = (s: Schedule) => s.temps.map((t) => `${t.size} ${t.note.split(' ->')[0]}`);

describe('nodeKernels.ts: contractions', () => {
  const header = '  input x: f32[2, 3]\n  input y: f32[3, 4]\n';
  const scheduled = (body: string) => schedule(fnOf(`model M {\n${header}${body}\n}`), new Map());

  test('a float32 matmul calls the SIMD kernel; one with an integer operand or result is scalar loops', () => {
    // the SIMD kernels read float32 memory: every operand and the result must be f32 (kills 21:17 `some`, 21:17 `[]`, 21:57)
    expect(kernels(scheduled('  output o = x @ y'))).toEqual(['copy of input y into WebAssembly memory', 'matmul (extern)']);
    expect(kernels(scheduled('  output o = x @ cast(y, i32)'))).toEqual(['cast', 'matmul']);
    expect(kernels(scheduled('  output o = cast(cast(x, i32) @ cast(y, i32), f32)'))).toEqual(['cast', 'cast', 'cast of matmul']);
  });

  test('an epilogue that reads its output index (rand) reads it along the matmul’s axes', () => {
    // rand's value depends on its flat index over [2, 4], given by the epilogue's axis function (kills 61:7, 61:43)
    const f = fnOf(`model M {\n${header}  output o = x @ y + rand([2, 4])\n}`);
    expect(kernels(schedule(f, new Map()))).toEqual(['copy of input y into WebAssembly memory', 'add of matmul (extern)']);
    expect(worst(f)).toBeLessThan(1e-12);
  });
});

describe('nodeKernels.ts: an op’s own kernel', () => {
  test('argsort merges in a scratch buffer of 2n entries, named after its node', () => {
    // the scratch must be a buffer of its own, large enough (kills 178:23 no buffer, 178:46 a buffer of one element)
    const f = fnOf('model S {\n  input x: f32[3, 5]\n  output o = cast(argsort(x, 1), f32) * 2\n  output y = exp(x)\n}');
    expect(worst(f)).toBeLessThan(1e-12);
    // the generated code names each buffer by what it holds (kills 178:51)
    expect(temps(schedule(f, new Map()))).toContain('10 scratch of argsort');
  });
});

describe('nodeKernels.ts: a scan’s operands', () => {
  test('a captured value that is a view is passed as a contiguous copy', () => {
    // W = transpose(V) is a view of V: the body reads its captures as contiguous buffers (kills 107:58)
    const f = fnOf(
      'model R {\n  input x: f32[3, 2, 3]\n  input V: f32[4, 3]\n  input U: f32[4, 4]\n  let W = transpose(V)\n' +
        '  fn step(h, xt) = tanh(xt @ W + h @ U)\n  output hs = scan(step, [broadcast_to(0, [2, 4])], x)[0]\n}',
    );
    expect(worst(f)).toBeLessThan(1e-12);
  });

  test('a constant sequence is one element filled in a buffer of its own, named after its value and its scan', () => {
    // the fill kernel and its buffer say what they hold in the generated code (kills 112:38, 113:64)
    const f = fnOf(
      'model R {\n  input x: f32[2, 3]\n  input U: f32[3, 3]\n  fn step(h, xt) = tanh(xt + h @ U)\n' +
        '  output hs = scan(step, [x], broadcast_to(1, [4, 2, 3]))[0]\n}',
    );
    const s = schedule(f, new Map());
    expect(kernels(s)[0]).toBe('constant 1');
    expect(temps(s)).toContain('1 constant 1 read by scan');
    expect(worst(f)).toBeLessThan(1e-12);
  });
});
