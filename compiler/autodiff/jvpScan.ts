// Forward mode through `scan`: the tangent of a loop is the same loop carrying tangents alongside,
//   (cᵗ⁺¹, ċᵗ⁺¹) = (f(cᵗ, xᵗ, k), J_c f·ċᵗ + J_x f·ẋᵗ + J_k f·k̇)
// one scan whose carries are the carries and the tangents of the float ones, whose sequences and
// captures add the tangents given (absent = zero), and whose body is the forward-mode copy of f.
// Each window of a carry (after, before, last) has the matching window of its tangent.
import { IrBuilder } from '../ir/builder.js';
import type { IrFunction, Node } from '../ir/ir.js';
import { SCAN, SCAN_OUT, SCAN_TYPE, bodyInputName, scanAttrs, scanInfo, windowType, type Keep, type Window } from '../ir/scan.js';
import type { Value } from '../ops/op.js';
import type { TensorType } from '../types/types.js';

type ForwardMode = (
  b: IrBuilder,
  f: IrFunction,
  args: ReadonlyMap<string, Value>,
  tangents: ReadonlyMap<string, Value>,
) => { outs: Value[]; touts: (Value | null)[] };

const zeros = (b: IrBuilder, t: TensorType): Value => (t.shape.length === 0 ? b.num(0) : b.op('broadcast_to', [b.num(0)], { shape: t.shape }));

export const scanJvp = (b: IrBuilder, n: Node, ins: readonly Value[], tin: readonly (Value | null)[], forwardMode: ForwardMode) => {
  const s = scanInfo(n);
  const C = s.carries,
    X = s.xs;
  const types = ins.map((i) => b.type(i));
  const float = (i: number) => types[i]!.dtype === 'f32';
  const tx = [...Array(X).keys()].filter((i) => float(C + i) && tin[C + i] !== null);
  const tk = [...Array(ins.length - C - X).keys()].filter((q) => float(C + X + q) && tin[C + X + q] !== null);
  const tc = [...Array(C).keys()].filter((j) => float(j));
  const anyTangent = tx.length > 0 || tk.length > 0 || tc.some((j) => tin[j] !== null);
  const step = (t: TensorType): TensorType => ({ dtype: t.dtype, shape: t.shape.slice(1) });
  if (!anyTangent) {
    const copy = b.structural(SCAN, ins, n.attrs, SCAN_TYPE);
    return {
      primal: (k: number, w: string) => b.structural(SCAN_OUT, [copy], { index: k, window: w }, windowType(types[k]!, w as Window, s.length)),
      tangent: () => null,
    };
  }
  // The body: inputs c…, ċ (c_{C+q}), x…, ẋ (x_{X+q}), k…, k̇ (k_{K+q}); outputs the carries, then their tangents.
  const K = ins.length - C - X;
  const bb = new IrBuilder();
  const body = bb.at(
    n.span,
    () => {
      const args = new Map<string, Value>(),
        tangents = new Map<string, Value>();
      types.slice(0, C).forEach((t, j) => {
        args.set(bodyInputName('c', j), bb.input(bodyInputName('c', j), 'input', t, n.span));
      });
      tc.forEach((j, q) => {
        tangents.set(bodyInputName('c', j), bb.input(bodyInputName('c', C + q), 'input', types[j]!, n.span));
      });
      types.slice(C, C + X).forEach((t, i) => {
        args.set(bodyInputName('x', i), bb.input(bodyInputName('x', i), 'input', step(t), n.span));
      });
      tx.forEach((i, q) => {
        tangents.set(bodyInputName('x', i), bb.input(bodyInputName('x', X + q), 'input', step(types[C + i]!), n.span));
      });
      types.slice(C + X).forEach((t, q) => {
        args.set(bodyInputName('k', q), bb.input(bodyInputName('k', q), 'input', t, n.span));
      });
      tk.forEach((q, r) => {
        tangents.set(bodyInputName('k', q), bb.input(bodyInputName('k', K + r), 'input', types[C + X + q]!, n.span));
      });
      const { outs, touts } = forwardMode(bb, s.body, args, tangents);
      const tangentOuts = tc.map((j) => touts[j] ?? zeros(bb, types[j]!));
      return bb.finish(
        `${s.body.name}_jvp`,
        [...outs, ...tangentOuts].map((id, q) => ({ name: `c${q}`, id })),
      );
    },
    n.backward ?? false,
  );
  const inputs = [
    ...ins.slice(0, C),
    ...tc.map((j) => tin[j] ?? zeros(b, types[j]!)),
    ...ins.slice(C, C + X),
    ...tx.map((i) => tin[C + i]!),
    ...ins.slice(C + X),
    ...tk.map((q) => tin[C + X + q]!),
  ];
  const keep: Keep[] = [...s.keep, ...tc.map((j) => s.keep[j]!)];
  const scan = b.structural(SCAN, inputs, scanAttrs({ ...s, body, carries: C + tc.length, xs: X + tx.length, keep }), SCAN_TYPE);
  const read = (index: number, w: string, t: TensorType) => b.structural(SCAN_OUT, [scan], { index, window: w }, windowType(t, w as Window, s.length));
  return {
    primal: (k: number, w: string) => read(k, w, types[k]!),
    tangent: (k: number, w: string) => (tc.includes(k) ? read(C + tc.indexOf(k), w, types[k]!) : null),
  };
};
