// passes/sinkRows.ts, what it leaves outside a loop or stacks for readers outside (tests/remat_sink.test.ts
// checks values and gradients): reductions over the steps, targets, comparisons, batch inputs the loop
// does not read, and programs it must leave unchanged, as printed programs (tests/helpers/sinkRowsPrint.ts).
// What moves into the step is tests/mutantsSinkRows.test.ts. Written for the mutants `npm run mutate` left
// surviving in sinkRows.ts (docs/mutation.md); each was checked to fail on the mutants it is named for.
import { describe, expect, test } from 'vitest';
import { printFunction } from '../compiler/ir/print.js';
import { dce } from '../compiler/passes/dce.js';
import { sinkRows } from '../compiler/passes/sinkRows.js';
import { canon, source, sunk, unsunk } from './helpers/sinkRowsPrint.js';

describe('sinkRows keeps outside or stacks', () => {
  test('a value of one number per step is stacked from a scalar zero', () => {
    expect(sunk(source('xt @ W', 'sum(sum(hs, axis = 2), axis = 1)', 'checkpoint = 2'))).toBe(
      [
        'fn S {',
        '  %12: f32[B, 4] = broadcast_to %8 {shape=[B,4]}',
        '  %13: f32 = const 0',
        '  %14 = scan over 5 steps (checkpoint every 2): carries %12 %13 (keep all,all), sequences %1, captures %6 %4',
        '    fn scan_step {',
        '      %0: f32[B, 4] = input input c0',
        '      %1: f32 = input input c1',
        '      %2: f32[4, 4] = input input k0',
        '      %3: f32[3, 4] = input input k1',
        '      %4: f32[B, 3] = input input x0',
        '      %5: f32[B, 4] = matmul %4 %3  # u',
        '      %6: f32[B, 4] = matmul %0 %2',
        '      %7: f32[B, 4] = add %5 %6',
        '      %8: f32[B, 4] = tanh %7',
        '      %9: f32[B] = sum %8 {axes=[1], keepdims=false}',
        '      %10: f32 = sum %9 {axes=[0], keepdims=false}  # o',
        '      return c0=%8, c1=%10',
        '    }',
        '  %15: f32[5] = scan_out %14 {index=1, window=after}',
        '  %16: f32[5] = transpose %15 {perm=[0]}  # o',
        '  %17: f32 = sum %16 {axes=[0], keepdims=false}',
        '  return o=%16, loss=%17',
        '}',
      ].join('\n'),
    );
  });

  test('a row-wise value that a reduction over the steps reads is stacked for it; the reduction stays outside', () => {
    expect(sunk(source('x @ W', 'tanh(hs)', 'axis = 1, checkpoint = 2', ' + sum(sum(tanh(hs), axis = 1) * b)'))).toBe(
      [
        'fn S {',
        '  %12: f32[B, 4] = broadcast_to %8 {shape=[B,4]}',
        '  %13: f32[5, B, 3] = transpose %0 {perm=[1,0,2]}',
        '  %14: f32 = const 0',
        '  %15: f32[B, 4] = broadcast_to %14 {shape=[B,4]}',
        '  %16: f32 = const 0',
        '  %17: f32[B, 4] = broadcast_to %16 {shape=[B,4]}',
        '  %18 = scan over 5 steps (checkpoint every 2): carries %12 %15 %17 (keep all,all,all), sequences %13, captures %6 %4',
        '    fn scan_step {',
        '      %0: f32[B, 4] = input input c0',
        '      %1: f32[B, 4] = input input c1',
        '      %2: f32[B, 4] = input input c2',
        '      %3: f32[4, 4] = input input k0',
        '      %4: f32[3, 4] = input input k1',
        '      %5: f32[B, 3] = input input x0',
        '      %6: f32[B, 4] = matmul %5 %4  # u',
        '      %7: f32[B, 4] = transpose %6 {perm=[0,1]}',
        '      %8: f32[B, 4] = matmul %0 %3',
        '      %9: f32[B, 4] = add %7 %8',
        '      %10: f32[B, 4] = tanh %9',
        '      %11: f32[B, 4] = transpose %10 {perm=[0,1]}  # hs',
        '      %12: f32[B, 4] = tanh %11  # o',
        '      %13: f32[B, 4] = tanh %11',
        '      return c0=%10, c1=%12, c2=%13',
        '    }',
        '  %19: f32[5, B, 4] = scan_out %18 {index=1, window=after}',
        '  %20: f32[5, B, 4] = scan_out %18 {index=2, window=after}',
        '  %21: f32[B, 5, 4] = transpose %19 {perm=[1,0,2]}  # o',
        '  %22: f32 = sum %21 {axes=[0,1,2], keepdims=false}',
        '  %23: f32[B, 5, 4] = transpose %20 {perm=[1,0,2]}',
        '  %24: f32[B, 4] = sum %23 {axes=[1], keepdims=false}',
        '  %25: f32[B, 4] = mul %24 %5',
        '  %26: f32 = sum %25 {axes=[0,1], keepdims=false}',
        '  %27: f32 = add %22 %26',
        '  return o=%21, loss=%27',
        '}',
      ].join('\n'),
    );
  });

  test('what reads a target stays outside (the loop reads no new batch input); a capture computed after the loop moves before it', () => {
    expect(sunk(source('x @ W', 'tanh(hs) * exp(b)', 'axis = 1, checkpoint = 2', ' + sum(tanh(hs @ R) * yt)'))).toBe(
      [
        'fn S {',
        '  %12: f32[B, 4] = broadcast_to %8 {shape=[B,4]}',
        '  %13: f32[4] = exp %5',
        '  %14: f32[5, B, 3] = transpose %0 {perm=[1,0,2]}',
        '  %15: f32 = const 0',
        '  %16: f32[B, 4] = broadcast_to %15 {shape=[B,4]}',
        '  %17: f32 = const 0',
        '  %18: f32[B, 4] = broadcast_to %17 {shape=[B,4]}',
        '  %19 = scan over 5 steps (checkpoint every 2): carries %12 %16 %18 (keep all,all,all), sequences %14, captures %6 %4 %13 %7',
        '    fn scan_step {',
        '      %0: f32[B, 4] = input input c0',
        '      %1: f32[B, 4] = input input c1',
        '      %2: f32[B, 4] = input input c2',
        '      %3: f32[4, 4] = input input k0',
        '      %4: f32[3, 4] = input input k1',
        '      %5: f32[4] = input input k2',
        '      %6: f32[4, 4] = input input k3',
        '      %7: f32[B, 3] = input input x0',
        '      %8: f32[B, 4] = matmul %7 %4  # u',
        '      %9: f32[B, 4] = transpose %8 {perm=[0,1]}',
        '      %10: f32[B, 4] = matmul %0 %3',
        '      %11: f32[B, 4] = add %9 %10',
        '      %12: f32[B, 4] = tanh %11',
        '      %13: f32[B, 4] = transpose %12 {perm=[0,1]}  # hs',
        '      %14: f32[B, 4] = tanh %13',
        '      %15: f32[B, 4] = mul %14 %5  # o',
        '      %16: f32[B, 4] = matmul %13 %6',
        '      %17: f32[B, 4] = tanh %16',
        '      return c0=%12, c1=%15, c2=%17',
        '    }',
        '  %20: f32[5, B, 4] = scan_out %19 {index=1, window=after}',
        '  %21: f32[5, B, 4] = scan_out %19 {index=2, window=after}',
        '  %22: f32[B, 5, 4] = transpose %20 {perm=[1,0,2]}  # o',
        '  %23: f32 = sum %22 {axes=[0,1,2], keepdims=false}',
        '  %24: f32[B, 5, 4] = transpose %21 {perm=[1,0,2]}',
        '  %25: f32[B, 5, 4] = mul %24 %11',
        '  %26: f32 = sum %25 {axes=[0,1,2], keepdims=false}',
        '  %27: f32 = add %23 %26',
        '  return o=%22, loss=%27',
        '}',
      ].join('\n'),
    );
  });

  test('a comparison (bool) after the loop stays outside, and so does what reads it', () => {
    expect(sunk(source('x @ W', 'where(hs > 0, hs, 0.5)'))).toBe(
      [
        'fn S {',
        '  %12: f32[B, 4] = broadcast_to %8 {shape=[B,4]}',
        '  %13: f32[5, B, 3] = transpose %0 {perm=[1,0,2]}',
        '  %14: f32 = const 0',
        '  %15: f32[B, 4] = broadcast_to %14 {shape=[B,4]}',
        '  %16 = scan over 5 steps (checkpoint every 2): carries %12 %15 (keep all,all), sequences %13, captures %6 %4',
        '    fn scan_step {',
        '      %0: f32[B, 4] = input input c0',
        '      %1: f32[B, 4] = input input c1',
        '      %2: f32[4, 4] = input input k0',
        '      %3: f32[3, 4] = input input k1',
        '      %4: f32[B, 3] = input input x0',
        '      %5: f32[B, 4] = matmul %4 %3  # u',
        '      %6: f32[B, 4] = transpose %5 {perm=[0,1]}',
        '      %7: f32[B, 4] = matmul %0 %2',
        '      %8: f32[B, 4] = add %6 %7',
        '      %9: f32[B, 4] = tanh %8',
        '      %10: f32[B, 4] = transpose %9 {perm=[0,1]}  # hs',
        '      return c0=%9, c1=%10',
        '    }',
        '  %17: f32[5, B, 4] = scan_out %16 {index=1, window=after}',
        '  %18: f32[B, 5, 4] = transpose %17 {perm=[1,0,2]}  # hs',
        '  %19: f32 = const 0',
        '  %20: bool[B, 5, 4] = gt %18 %19',
        '  %21: f32 = const 0.5',
        '  %22: f32[B, 5, 4] = where %20 %18 %21  # o',
        '  %23: f32 = sum %22 {axes=[0,1,2], keepdims=false}',
        '  return o=%22, loss=%23',
        '}',
      ].join('\n'),
    );
  });

  test('what reads a batch input the loop does not read stays outside', () => {
    expect(sunk(source('x @ W', 'tanh(hs @ R) * transpose(x4, [1, 0, 2])'))).toBe(
      [
        'fn S {',
        '  %12: f32[B, 4] = broadcast_to %8 {shape=[B,4]}',
        '  %13: f32[5, B, 3] = transpose %0 {perm=[1,0,2]}',
        '  %14: f32 = const 0',
        '  %15: f32[B, 4] = broadcast_to %14 {shape=[B,4]}',
        '  %16 = scan over 5 steps (checkpoint every 2): carries %12 %15 (keep all,all), sequences %13, captures %6 %4 %7',
        '    fn scan_step {',
        '      %0: f32[B, 4] = input input c0',
        '      %1: f32[B, 4] = input input c1',
        '      %2: f32[4, 4] = input input k0',
        '      %3: f32[3, 4] = input input k1',
        '      %4: f32[4, 4] = input input k2',
        '      %5: f32[B, 3] = input input x0',
        '      %6: f32[B, 4] = matmul %5 %3  # u',
        '      %7: f32[B, 4] = transpose %6 {perm=[0,1]}',
        '      %8: f32[B, 4] = matmul %0 %2',
        '      %9: f32[B, 4] = add %7 %8',
        '      %10: f32[B, 4] = tanh %9',
        '      %11: f32[B, 4] = transpose %10 {perm=[0,1]}  # hs',
        '      %12: f32[B, 4] = matmul %11 %4',
        '      %13: f32[B, 4] = tanh %12',
        '      return c0=%10, c1=%13',
        '    }',
        '  %17: f32[5, B, 4] = scan_out %16 {index=1, window=after}',
        '  %18: f32[B, 5, 4] = transpose %17 {perm=[1,0,2]}',
        '  %19: f32[B, 5, 4] = transpose %10 {perm=[1,0,2]}',
        '  %20: f32[B, 5, 4] = mul %18 %19  # o',
        '  %21: f32 = sum %20 {axes=[0,1,2], keepdims=false}',
        '  return o=%20, loss=%21',
        '}',
      ].join('\n'),
    );
  });

  test('a sunk value that a node left outside also reads is stacked for it', () => {
    expect(sunk(source('x @ W', '{\n    let v = tanh(hs)\n    v * 2 + sum(v, axis = 1, keepdims = true)\n  }'))).toBe(
      [
        'fn S {',
        '  %12: f32[B, 4] = broadcast_to %8 {shape=[B,4]}',
        '  %13: f32[5, B, 3] = transpose %0 {perm=[1,0,2]}',
        '  %14: f32 = const 0',
        '  %15: f32[B, 4] = broadcast_to %14 {shape=[B,4]}',
        '  %16: f32 = const 0',
        '  %17: f32[B, 4] = broadcast_to %16 {shape=[B,4]}',
        '  %18 = scan over 5 steps (checkpoint every 2): carries %12 %15 %17 (keep all,all,all), sequences %13, captures %6 %4',
        '    fn scan_step {',
        '      %0: f32[B, 4] = input input c0',
        '      %1: f32[B, 4] = input input c1',
        '      %2: f32[B, 4] = input input c2',
        '      %3: f32[4, 4] = input input k0',
        '      %4: f32[3, 4] = input input k1',
        '      %5: f32[B, 3] = input input x0',
        '      %6: f32[B, 4] = matmul %5 %4  # u',
        '      %7: f32[B, 4] = transpose %6 {perm=[0,1]}',
        '      %8: f32[B, 4] = matmul %0 %3',
        '      %9: f32[B, 4] = add %7 %8',
        '      %10: f32[B, 4] = tanh %9',
        '      %11: f32[B, 4] = transpose %10 {perm=[0,1]}  # hs',
        '      %12: f32[B, 4] = tanh %11  # v',
        '      %13: f32 = const 2',
        '      %14: f32[B, 4] = mul %12 %13',
        '      return c0=%10, c1=%12, c2=%14',
        '    }',
        '  %19: f32[5, B, 4] = scan_out %18 {index=1, window=after}',
        '  %20: f32[5, B, 4] = scan_out %18 {index=2, window=after}',
        '  %21: f32[B, 5, 4] = transpose %19 {perm=[1,0,2]}  # v',
        '  %22: f32[B, 5, 4] = transpose %20 {perm=[1,0,2]}',
        '  %23: f32[B, 1, 4] = sum %21 {axes=[1], keepdims=true}',
        '  %24: f32[B, 5, 4] = add %22 %23  # o',
        '  %25: f32 = sum %24 {axes=[0,1,2], keepdims=false}',
        '  return o=%24, loss=%25',
        '}',
      ].join('\n'),
    );
  });

  test('nothing row-wise on either side: the program is unchanged', () => {
    const src = source('x4', 'sum(hs, axis = 0)', 'checkpoint = 2');
    expect(sunk(src)).toBe(canon(printFunction(dce.run(unsunk(src)))));
  });

  test('a loop stored whole (checkpoint ≥ its length, or 0) is left as it is', () => {
    for (const opts of ['axis = 1, checkpoint = 5', 'axis = 1, checkpoint = 6', 'axis = 1']) {
      const f = unsunk(source('gather(E, ids) @ W + b', 'tanh(hs @ R) * 2', opts));
      expect(sinkRows.run(f)).toBe(f);
    }
  });
});
