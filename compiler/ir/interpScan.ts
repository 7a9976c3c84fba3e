// Reference semantics of `scan` (see scan.ts): the body is interpreted once per step.
import { nd, size } from '../ops/ndarray.js';
import type { NdArray } from '../ops/op.js';
import type { DimEnv } from './bind.js';
import type { IrFunction, Node } from './ir.js';
import { bodyInputName, outWindow, scanInfo, scanLength, windowStart } from './scan.js';

type Interpret = (f: IrFunction, inputs: Readonly<Record<string, NdArray>>, env: DimEnv) => { outputs: Record<string, NdArray> };

/** Step t's slice of a sequence [T, …]. */
const stepOf = (xs: NdArray, t: number): NdArray => {
  const n = size(xs.shape.slice(1));
  return nd(xs.shape.slice(1), xs.data.slice(t * n, (t + 1) * n));
};

/** Runs a scan; returns, per carry, its T + 1 slots ('all') or its final value ('last'). */
export const runScan = (n: Node, ins: readonly NdArray[], env: DimEnv, interpret: Interpret): NdArray[][] => {
  const s = scanInfo(n);
  const T = scanLength(s, env);
  let carry = ins.slice(0, s.carries);
  const xs = ins.slice(s.carries, s.carries + s.xs);
  const caps = ins.slice(s.carries + s.xs);
  const slots = carry.map((c) => {
    const a = new Array<NdArray>(T + 1);
    a[s.reverse ? T : 0] = c;
    return a;
  });
  for (let step = 0; step < T; step++) {
    const t = s.reverse ? T - 1 - step : step;
    const named: Record<string, NdArray> = {};
    carry.forEach((c, i) => {
      named[bodyInputName('c', i)] = c;
    });
    xs.forEach((x, i) => {
      named[bodyInputName('x', i)] = stepOf(x, t);
    });
    caps.forEach((k, i) => {
      named[bodyInputName('k', i)] = k;
    });
    const { outputs } = interpret(s.body, named, env);
    carry = s.body.outputs.map((o) => outputs[o.name]!);
    carry.forEach((c, i) => {
      slots[i]![s.reverse ? t : t + 1] = c;
    });
  }
  return slots.map((sl, i) => (s.keep[i] === 'all' ? sl : [carry[i]!]));
};

/** A SCAN_OUT node's value from its scan's results. */
export const readWindow = (out: Node, results: readonly NdArray[][], reverse: boolean): NdArray => {
  const { index, window } = outWindow(out);
  const slots = results[index]!;
  // the final carry: the only slot of a 'last' carry, else slot T (forward) or 0 (reversed)
  if (window === 'last') return slots[reverse ? 0 : slots.length - 1]!;
  const T = slots.length - 1;
  const start = windowStart(reverse, window);
  const inner = slots[0]!.shape;
  const stride = size(inner);
  const data = new Float64Array(T * stride);
  for (let t = 0; t < T; t++) data.set(slots[start + t]!.data, t * stride);
  return nd([T, ...inner], data);
};
