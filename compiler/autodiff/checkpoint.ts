// Rematerialization for backpropagation through time: `scan(…, checkpoint = k)`.
// Before a checkpointed loop over T steps is differentiated it is rewritten, with the same values, as a
// loop over S = ⌈T/k⌉ segments whose step is the original loop over k steps:
//   outer carries: the carries (their value at each segment start is a checkpoint) and, for each carry
//     whose stacked states the program reads, the segment's stacked states [k, …];
//   outer sequences: each sequence reshaped [T, …] → [S, k, …] (zero-padded to S·k steps when k does
//     not divide T, with a [S, k] mask of the real steps; a padded step keeps the carry: where(m, f(c, x), c));
//   outer body: inner = scan(f, c, x_segment) over k steps; returns inner's last carries and its stacks.
// The ordinary derivative of a loop (autodiff/scan.ts) then does the rest: the outer backward loop
// stores only the outer carries, i.e. every k-th carry, and its body re-evaluates the outer step — the
// k inner steps, from the checkpoint — before running the inner backward loop over them, with the inner
// loop's carries and matmul results stored in k-step buffers. Memory: O(T/k + k) carries instead of
// O(T) carries and matmul results; time: the forward steps run twice.
// The outer loop is marked `segment = k`: its captures' gradients are accumulated per segment instead of
// being one product over stored operands after the loop (that would store O(T) operands again).
import { InternalError } from '../diagnostics/diagnostic.js';
import { IrBuilder } from '../ir/builder.js';
import { inlineFunction } from '../ir/inline.js';
import type { Node } from '../ir/ir.js';
import { SCAN, SCAN_OUT, SCAN_TYPE, bodyInputName, outWindow, scanAttrs, scanInfo, windowType, type Keep } from '../ir/scan.js';
import type { Value } from '../ops/op.js';
import { dimCeilDiv, dimMul, dimSub } from '../types/dims.js';
import type { Dim, TensorType } from '../types/types.js';

const zerosOf = (b: IrBuilder, t: TensorType): Value => {
  const z = t.dtype === 'f32' ? b.num(0) : b.op('cast', [b.num(0, 'i32')], { dtype: t.dtype });
  return t.shape.length === 0 ? z : b.op('broadcast_to', [z], { shape: t.shape });
};

/**
 * Rewrites every loop with checkpoint = k among b.nodes[from…] into segments (see above); returns what
 * each of the old loop's results (SCAN_OUT nodes) became. The old loops are left without readers.
 * `reads`: the other values the program will read (its outputs).
 */
export const expandCheckpoints = (b: IrBuilder, from: number, targets: readonly Value[], reads: readonly Value[] = []): Map<Value, Value> => {
  const subst = new Map<Value, Value>();
  const todo = b.nodes.slice(from).filter((n) => n.op === SCAN && scanInfo(n).checkpoint > 0);
  if (todo.length === 0) return subst;
  // Only the results the differentiated values or the program's outputs depend on are rebuilt (not the
  // stacked cell states of an LSTM whose program reads only its hidden states). A result the outputs
  // read but the differentiated values do not (a training step's logits beside its loss) is rebuilt
  // too: left on the old loop, it would run all the forward steps a second time, storing every step.
  const needed = new Set([...targets, ...reads]);
  for (let i = b.nodes.length - 1; i >= 0; i--) if (needed.has(b.nodes[i]!.id)) for (const x of b.nodes[i]!.inputs) needed.add(x);
  for (const n of todo) {
    // k ≥ T is one segment: the loop as it is, storing every step
    const s = scanInfo(n);
    if (typeof s.length === 'number' && s.checkpoint >= s.length) continue;
    const outs = b.nodes.filter((m) => m.op === SCAN_OUT && m.inputs[0] === n.id && needed.has(m.id));
    if (outs.length) for (const [o, v] of expandOne(b, n, outs)) subst.set(o, v);
  }
  return subst;
};

const expandOne = (b: IrBuilder, n: Node, outs: readonly Node[]): Map<Value, Value> => {
  const s = scanInfo(n);
  if (outs.some((m) => outWindow(m).window === 'before')) throw new InternalError('checkpoint: a loop already differentiated');
  const T: Dim = s.length;
  const k = s.checkpoint;
  const S = dimCeilDiv(T, k),
    P = dimMul(S, k);
  const padded = String(P) !== String(T);
  const C = s.carries,
    X = s.xs;
  const types = n.inputs.map((i) => b.type(i));
  const carryT = types.slice(0, C),
    xT = types.slice(C, C + X),
    capT = types.slice(C + X);
  const stackedRead = [...new Set(outs.filter((m) => outWindow(m).window === 'after').map((m) => outWindow(m).index))].sort((p, q) => p - q);
  const step = (t: TensorType): TensorType => ({ dtype: t.dtype, shape: t.shape.slice(1) });
  const segT = (t: TensorType): TensorType => ({ dtype: t.dtype, shape: [k, ...t.shape] });
  const maskT: TensorType = { dtype: 'f32', shape: [] };

  // The inner body: the step, holding the carry on padded steps.
  const ib = new IrBuilder();
  const innerBody = ib.at(
    n.span,
    () => {
      const c = carryT.map((t, j) => ib.input(bodyInputName('c', j), 'input', t, n.span));
      const x = xT.map((t, i) => ib.input(bodyInputName('x', i), 'input', step(t), n.span));
      const m = padded ? ib.input(bodyInputName('x', X), 'input', maskT, n.span) : undefined;
      const kk = capT.map((t, q) => ib.input(bodyInputName('k', q), 'input', t, n.span));
      const args = new Map<string, Value>();
      c.forEach((v, j) => {
        args.set(bodyInputName('c', j), v);
      });
      x.forEach((v, i) => {
        args.set(bodyInputName('x', i), v);
      });
      kk.forEach((v, q) => {
        args.set(bodyInputName('k', q), v);
      });
      const res = inlineFunction(ib, s.body, args).map((o, j) => (m === undefined ? o : ib.op('where', [m, o, c[j]!])));
      return ib.finish(
        s.body.name,
        res.map((id, j) => ({ name: `c${j}`, id })),
      );
    },
    n.backward ?? false,
  );

  // The outer body: one segment, the inner loop over k steps.
  const ob = new IrBuilder();
  const segmentBody = ob.at(
    n.span,
    () => {
      const c = carryT.map((t, j) => ob.input(bodyInputName('c', j), 'input', t, n.span));
      stackedRead.forEach((j, q) => {
        ob.input(bodyInputName('c', C + q), 'input', segT(carryT[j]!), n.span);
      });
      const x = xT.map((t, i) => ob.input(bodyInputName('x', i), 'input', { dtype: t.dtype, shape: [k, ...t.shape.slice(1)] }, n.span));
      const m = padded ? [ob.input(bodyInputName('x', X), 'input', { dtype: 'f32', shape: [k] }, n.span)] : [];
      const kk = capT.map((t, q) => ob.input(bodyInputName('k', q), 'input', t, n.span));
      const keep: Keep[] = carryT.map((_, j) => (stackedRead.includes(j) ? 'all' : 'last'));
      const inner = ob.structural(
        SCAN,
        [...c, ...x, ...m, ...kk],
        scanAttrs({ body: innerBody, carries: C, xs: X + m.length, keep, reverse: s.reverse, length: k, truncate: 0, checkpoint: 0, segment: 0 }),
        SCAN_TYPE,
      );
      const last = carryT.map((t, j) => ob.structural(SCAN_OUT, [inner], { index: j, window: 'last' }, t));
      const stacks = stackedRead.map((j) => ob.structural(SCAN_OUT, [inner], { index: j, window: 'after' }, windowType(carryT[j]!, 'after', k)));
      return ob.finish(
        `${s.body.name}_segment`,
        [...last, ...stacks].map((id, q) => ({ name: `c${q}`, id })),
      );
    },
    n.backward ?? false,
  );

  // The outer loop and what the old loop's results become.
  const first = b.nodes.length;
  const replaced = b.at(
    n.span,
    () => {
      const seqs = n.inputs.slice(C, C + X).map((x, i) => {
        const t = xT[i]!;
        const p = padded ? b.op('pad', [x], { before: t.shape.map(() => 0), after: t.shape.map((_, a) => (a === 0 ? dimSub(P, T) : 0)) }) : x;
        return b.op('reshape', [p], { shape: [S, k, ...t.shape.slice(1)] });
      });
      if (padded) {
        const real = b.op('cast', [b.op('lt', [b.op('iota', [], { n: P }), b.num(T, 'i32')])], { dtype: 'f32' });
        seqs.push(b.op('reshape', [real], { shape: [S, k] }));
      }
      const inits = [...n.inputs.slice(0, C), ...stackedRead.map((j) => zerosOf(b, segT(carryT[j]!)))];
      const keep: Keep[] = [...carryT.map((): Keep => 'last'), ...stackedRead.map((): Keep => 'all')];
      const outer = b.structural(
        SCAN,
        [...inits, ...seqs, ...n.inputs.slice(C + X)],
        scanAttrs({ body: segmentBody, carries: inits.length, xs: seqs.length, keep, reverse: s.reverse, length: S, truncate: 0, checkpoint: 0, segment: k }),
        SCAN_TYPE,
      );
      const map = new Map<Value, Value>();
      for (const o of outs) {
        const { index, window } = outWindow(o);
        if (window === 'last') {
          map.set(o.id, b.structural(SCAN_OUT, [outer], { index, window: 'last' }, carryT[index]!));
          continue;
        }
        const shape = carryT[index]!.shape;
        const segType = { dtype: carryT[index]!.dtype, shape: [S, k, ...shape] };
        const seg = b.structural(SCAN_OUT, [outer], { index: C + stackedRead.indexOf(index), window: 'after' }, segType);
        const all = b.op('reshape', [seg], { shape: [P, ...shape] });
        map.set(o.id, padded ? b.op('slice', [all], { begin: [0, ...shape.map(() => 0)], end: [T, ...shape] }) : all);
      }
      return map;
    },
    n.backward ?? false,
  );
  b.moveBefore(
    n.id,
    b.nodes.slice(first).map((m) => m.id),
  );
  b.substitute(replaced);
  return replaced;
};
