// Checks of a loop's kernel (compiler/codegen/scanKernel.ts) written to kill the mutants `npm run mutate`
// left surviving there (docs/mutation.md lists them, and why the rest are equivalent): the buffers a scan
// kernel makes (a carry and a step slice each, a stacked carry only for a carry read through a window),
// how it copies a strided carry or slice (axes contiguous in the source merged into one loop), and its
// compiled float64 values (js backend) against the interpreter, where a carry is read at its last step.
import { describe, expect, test } from 'vitest';
import { fnOf, worst } from './helpers/compiledVsInterp.js';
import { schedule } from '../compiler/codegen/schedule.js';
import type { Schedule } from '../compiler/codegen/scheduleTypes.js';
import type { IrFunction, Node } from '../compiler/ir/ir.js';
import { SCAN_OUT } from '../compiler/ir/scan.js';
import { verify } from '../compiler/ir/verify.js';
import type { Stmt } from '../compiler/loops/loops.js';

/** The scan's buffers: size and note up to the scan's type. */
const scanTemps = (s: Schedule) => s.temps.filter((t) => t.note.includes(' of scan')).map((t) => `${t.size} ${t.note.split(' ->')[0]}`);
/** A statement's loop structure: `for N [...]` for a loop of N steps, else its kind. */
const shape = (st: Stmt): string => (st.k === 'for' ? `for ${st.to.k === 'num' ? st.to.v : '?'} [${st.body.map(shape).join(', ')}]` : st.k);

describe('scanKernel.ts: the kernel of a loop', () => {
  const f = fnOf(
    'model R {\n  input h0: f32[2, 1, 3]\n  input x: f32[4, 2, 1, 3]\n  fn step(h, xt) = tanh(xt + 0.5 * h)\n' + '  output hs = scan(step, [h0], x)[0]\n}',
  );

  test('one carry, one step slice and one stacked carry, each named after what it holds', () => {
    // a carry per carry input only (kills 73:20: the sequence got one too), the slice a step's size (kills 81:50),
    // and the notes the generated code prints (kills 72:34, 80:68, 81:74, 85:48)
    expect(scanTemps(schedule(f, new Map()))).toEqual([
      '0 arena of the body of scan',
      '6 carry 0 of scan',
      '6 step slice 0 of scan',
      '30 stacked carry 0 of scan',
    ]);
    expect(worst(f)).toBeLessThan(1e-12);
  });

  test('the kernel starts with its note, and copies a carry or slice with size-1 axes dropped and contiguous axes merged', () => {
    // [2, 1, 3] contiguous is one loop of 6, not 2 × 1 × 3 or 2 × 3 (kills 45:9, 46:23, 47:9, 47:29); the comment kills 98:24
    const k = schedule(f, new Map()).kernels.find((x) => x.note.startsWith('scan'))!;
    expect(k.body[0]).toEqual({ k: 'comment', text: k.note });
    expect(k.body.map(shape)).toEqual(['comment', 'for 6 [store]', 'for 6 [store]', 'for 4 [let, for 6 [store], call, for 6 [store], for 6 [store]]']);
  });
});

describe('scanKernel.ts: which carries are stacked', () => {
  // Two carries kept every step, as autodiff's loops are (scan.ts keeps every carry of a loop it stores
  // residuals of); the first is read through its `after` window and at its last step, the second only at
  // its last step: only the first needs a stacked buffer.
  const TWO = `model R {
  input x: f32[3, 2, 3]
  input U: f32[4, 4]
  input W: f32[3, 4]
  fn step(h, c, xt) {
    let a = tanh(xt @ W + h @ U)
    [a, c * 0.5 + a]
  }
  let s = scan(step, [broadcast_to(0, [2, 4]), broadcast_to(0.25, [2, 4])], x)
  output hs = s[0]
  output cs = s[1]
}`;
  const lastOf = (n: Node): Node => ({ ...n, attrs: { ...n.attrs, window: 'last' }, type: { ...n.type, shape: n.type.shape.slice(1) } });
  const base = fnOf(TWO);
  const outs = base.nodes.filter((n) => n.op === SCAN_OUT);
  const [h, c] = [outs.find((n) => n.attrs['index'] === 0)!, outs.find((n) => n.attrs['index'] === 1)!];
  const id = Math.max(...base.nodes.map((n) => n.id)) + 1;
  const f: IrFunction = verify({
    ...base,
    nodes: [...base.nodes.map((n) => (n.id === c.id ? lastOf(n) : n)), { ...lastOf(h), id }],
    outputs: [...base.outputs, { name: 'hLast', id }],
  });

  test('a carry kept every step but read only at its last step is not stacked', () => {
    // stacked when kept and read through a window of its own (kills 82:32, 82:60 ×3, 82:81, 84:5 `true`, 84:5 `||`, 84:49, 84:73)
    expect(scanTemps(schedule(f, new Map())).filter((t) => t.includes('stacked'))).toEqual(['32 stacked carry 0 of scan']);
  });

  test('the last step of a stacked carry is read from the running carry', () => {
    // read through the stacked buffer's window instead, hLast would be the first steps (kills 136:9 ×2, 136:20)
    expect(worst(f)).toBeLessThan(1e-12);
  });
});
