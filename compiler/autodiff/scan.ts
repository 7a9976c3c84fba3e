// The derivative of `scan` is another scan, run in the opposite direction (backpropagation through
// time). With cᵗ⁺¹ = f(cᵗ, xᵗ, k) and cotangents ḡᵗ for the carry after step t (window 'after'), ǧᵗ for
// the carry before it ('before') and ḡ for the final carry ('last'):
//   a ← ḡ (zero if none)                               the cotangent of the carry after the last step
//   for t from the last step back to the first:
//     (āᶜ, x̄ᵗ, k̄ᵗ) = vjp of f at (cᵗ, xᵗ, k) applied to a + ḡᵗ
//     a ← āᶜ + ǧᵗ;   K ← K + k̄ᵗ                          K accumulates the captures' cotangents
//   c̄⁰ = a,  x̄s = stacked x̄ᵗ,  k̄ = K
// The backward body re-evaluates f from the stored carries cᵗ (the forward keeps them: window 'before'),
// except the body's matmuls (and convolutions): the forward loop stores their results per step as extra
// carries, and the backward body reads them instead of multiplying again. Memory grows linearly with T.
// A capture whose k̄ᵗ is one product the op can sum over a stack (Σₜ hₜᵀ·dzₜ) is not accumulated in
// the loop: the loop stores the operands (or finds them among the sequences it already has) and one
// product after it gives k̄. With truncate = k, a [T] mask cuts the carry's cotangent every k steps.
import { InternalError } from '../diagnostics/diagnostic.js';
import { IrBuilder } from '../ir/builder.js';
import { inlineFunction } from '../ir/inline.js';
import { INPUT, nextNodeId, type IrFunction, type Node } from '../ir/ir.js';
import { opDef } from '../ops/registry.js';
import { SCAN, SCAN_OUT, SCAN_TYPE, bodyInputName, outWindow, scanAttrs, scanInfo, windowType, type Keep } from '../ir/scan.js';
import type { Attrs, Value } from '../ops/op.js';
import type { TensorType } from '../types/types.js';
import type { Dim } from '../types/dims.js';

export interface ScanCotangent {
  readonly out: Node;
  readonly ct: Value;
}

type Vjp = (b: IrBuilder, req: { from: number; seeds: readonly { out: Value; seed: Value }[]; wrt: readonly Value[] }) => (Value | null)[];

const zeros = (b: IrBuilder, t: TensorType): Value => (t.shape.length === 0 ? b.num(0) : b.op('broadcast_to', [b.num(0)], { shape: t.shape }));

/** Cotangents of the scan's inputs (carries, sequences, captures), null where there is none. */
export const scanVjp = (b: IrBuilder, n: Node, cts: readonly ScanCotangent[], vjp: Vjp, wanted: (input: number) => boolean): (Value | null)[] => {
  const s = scanInfo(n);
  const inTypes = n.inputs.map((i) => b.type(i));
  const isF32 = (t: TensorType) => t.dtype === 'f32';
  // Sum the cotangents arriving through each window of each carry.
  const byWindow = new Map<string, Value>();
  for (const { out, ct } of cts) {
    const { index, window } = outWindow(out);
    const key = `${window}${index}`;
    const prev = byWindow.get(key);
    byWindow.set(key, prev === undefined ? ct : b.op('add', [prev, ct]));
  }
  // The backward body re-evaluates the step from every carry before it, so every carry must be stored.
  // A scan that only kept some carries' last values (a backward loop's accumulators, when its gradient
  // is differentiated again: a second derivative through the loop) is made to keep them all.
  let node = n;
  if (s.keep.some((k) => k !== 'all')) {
    node = { ...n, attrs: scanAttrs({ ...s, keep: s.keep.map((): Keep => 'all') }) };
    b.replace(node);
  }
  const carryT = inTypes.slice(0, s.carries);
  const xT = inTypes.slice(s.carries, s.carries + s.xs);
  const capT = inTypes.slice(s.carries + s.xs);
  const fC = carryT.map((t, k) => (isF32(t) ? k : -1)).filter((k) => k >= 0);
  const fX = xT.map((t, i) => (isF32(t) && wanted(s.carries + i) ? i : -1)).filter((i) => i >= 0);
  const fK = capT.map((t, j) => (isF32(t) && wanted(s.carries + s.xs + j) ? j : -1)).filter((j) => j >= 0);
  const after = fC.filter((k) => byWindow.has(`after${k}`));
  const before = fC.filter((k) => byWindow.has(`before${k}`));
  const resid = residualNodes(s.body);
  const bodyReads = new Set([...s.body.nodes.flatMap((m) => m.inputs), ...s.body.outputs.map((o) => o.id)]);
  const carryInput = new Map(s.body.nodes.filter((m) => m.op === INPUT).map((m) => [m.attrs['name'], m.id]));
  const readsCarry = carryT.map((t, k) => t.dtype !== 'f32' || bodyReads.has(carryInput.get(bodyInputName('c', k)) ?? -1));
  const unread = carryT.map((_, k) => k).filter((k) => !readsCarry[k]);
  if (resid.length) storeResiduals(b, node, resid);

  // The backward body. Carries: a (per f32 carry), K (per f32 capture), x̄ (per f32 sequence).
  // Per-step inputs: ḡᵗ, ǧᵗ, the forward carries cᵗ, the forward slices xᵗ. Captures: the forward's.
  const bb = new IrBuilder();
  const span = n.span;
  let hoisted: (Node | undefined)[] = [];
  let partOf = new Map<Value, number>();
  const asDx = new Map<Value, number>();
  const asView = new Map<Value, { op: string; attrs: Attrs; carry: number; x: number }>();
  let keptK: number[] = [];
  const body = bb.at(
    span,
    () => {
      let ci = 0,
        xi = 0,
        ki = 0;
      const carryIn = (t: TensorType) => bb.input(bodyInputName('c', ci++), 'input', t, span);
      const stepIn = (t: TensorType) => bb.input(bodyInputName('x', xi++), 'input', t, span);
      const a = fC.map((k) => carryIn(carryT[k]!));
      const gAfter = after.map((k) => stepIn(carryT[k]!));
      const gBefore = before.map((k) => stepIn(carryT[k]!));
      // a carry the step does not read (a checkpointed loop's stacked segment) needs no stored values
      const cPrev = carryT.map((t, k) => (readsCarry[k] ? stepIn(t) : bb.input(bodyInputName('k', capT.length + unread.indexOf(k)), 'input', t, span)));
      const xNow = xT.map((t) => stepIn(stepType(t)));
      const stored = new Map(resid.map((r) => [r.id, stepIn(r.type)]));
      const pass = s.truncate ? stepIn({ dtype: 'f32', shape: [] }) : undefined;
      const caps = capT.map((t) => bb.input(bodyInputName('k', ki++), 'input', t, span));
      const from = bb.nodes.length;
      const args = new Map<string, Value>();
      cPrev.forEach((v, k) => {
        args.set(bodyInputName('c', k), v);
      });
      xNow.forEach((v, i) => {
        args.set(bodyInputName('x', i), v);
      });
      caps.forEach((v, j) => {
        args.set(bodyInputName('k', j), v);
      });
      const copies = new Map<number, Value>();
      const outs = inlineFunction(bb, s.body, args, copies);
      return bb.at(
        span,
        () => {
          const seeds = fC.map((k, q) => {
            const g = after.indexOf(k);
            return { out: outs[k]!, seed: g < 0 ? a[q]! : bb.op('add', [a[q]!, gAfter[g]!]) };
          });
          const wrt = [...fC.map((k) => cPrev[k]!), ...fX.map((i) => xNow[i]!), ...fK.map((j) => caps[j]!)];
          const grads = vjp(bb, { from, seeds, wrt });
          const newA = fC.map((k, q) => {
            const g0 = grads[q] ?? zeros(bb, carryT[k]!);
            const g = pass === undefined ? g0 : bb.op('mul', [g0, pass]);
            const gb = before.indexOf(k);
            return gb < 0 ? g : bb.op('add', [g, gBefore[gb]!]);
          });
          // A capture whose per-step gradient is one product the op can sum over stacked operands
          // (Σₜ hₜᵀ·dzₜ for a recurrent weight) is not accumulated step by step: the loop stores both
          // operands and one product over all steps follows it.
          const capGrad = (q: number) => grads[fC.length + fX.length + q];
          hoisted = fK.map((_, q) => {
            const g = capGrad(q);
            const m = g === undefined || g === null ? undefined : bb.node(g);
            // (not in a checkpointed loop's segments: storing the operands would store O(T) values again)
            return m && !s.segment && m.inputs.length === 2 && opDef(m.op)?.algebra?.stackSum ? m : undefined;
          });
          keptK = fK.filter((_, q) => !hoisted[q]);
          const newAcc = fK.flatMap((j, q) => {
            if (hoisted[q]) return [];
            const acc = carryIn(capT[j]!);
            const g = capGrad(q);
            return [g ? bb.op('add', [acc, g]) : acc];
          });
          const dx = fX.map((i, q) => {
            carryIn(stepType(xT[i]!));
            return grads[fC.length + q] ?? zeros(bb, stepType(xT[i]!));
          });
          // each operand is stored once, even when it serves several captures (dz for Wx and Wh)
          // an operand that is also a sequence's cotangent (dz = d(xpₜ) when z = xpₜ + hₜ·W) is read from there
          const operands = [...new Set(hoisted.flatMap((m) => (m ? m.inputs : [])))];
          operands.forEach((v) => {
            const q = dx.indexOf(v);
            if (q >= 0) asDx.set(v, q);
          });
          // an operand that is a view of a per-step input (hₜᵀ of the carry before step t) is that view of the
          // stacked sequence, taken after the loop: nothing to store
          operands.forEach((v) => {
            const m = bb.node(v);
            const stacked = opDef(m.op)?.algebra?.stacked;
            const k = cPrev.indexOf(m.inputs[0]!),
              i = xNow.indexOf(m.inputs[0]!);
            if (stacked && m.inputs.length === 1 && (k >= 0 || i >= 0)) asView.set(v, { op: m.op, attrs: stacked(m.attrs), carry: k, x: i });
          });
          const parts = operands.filter((v) => !asDx.has(v) && !asView.has(v));
          parts.forEach((v) => {
            carryIn(bb.type(v));
          });
          partOf = new Map(parts.map((v, i) => [v, i]));
          // The recomputed matmuls were only needed to build the derivative (their rules read their inputs,
          // not their results); what reads their values now reads the values the forward loop stored.
          const storedFor = new Map(resid.map((r) => [copies.get(r.id)!, stored.get(r.id)!]));
          bb.substitute(storedFor);
          const results = [...newA, ...newAcc, ...dx, ...parts].map((v) => storedFor.get(v) ?? v);
          return bb.finish(
            `${s.body.name}_vjp`,
            results.map((id, q) => ({ name: `out${q}`, id })),
          );
        },
        true,
      );
    },
    true,
  );
  const partTypes = [...partOf.keys()].map((v) => body.nodes.find((x) => x.id === v)?.type ?? missingCarry());

  // The backward scan node and its inputs.
  const seedLast = (k: number) => byWindow.get(`last${k}`) ?? zeros(b, carryT[k]!);
  const fwdBefore = (k: number) => b.structural(SCAN_OUT, [n.id], { index: k, window: 'before' }, windowType(carryT[k]!, 'before', s.length));
  const inits = [
    ...fC.map(seedLast),
    ...keptK.map((j) => zeros(b, capT[j]!)),
    ...fX.map((i) => zeros(b, stepType(xT[i]!))),
    ...partTypes.map((t) => zeros(b, t)),
  ];
  const seqs = [
    ...after.map((k) => byWindow.get(`after${k}`)!),
    ...before.map((k) => byWindow.get(`before${k}`)!),
    ...carryT.flatMap((_, k) => (readsCarry[k] ? [fwdBefore(k)] : [])),
    ...n.inputs.slice(s.carries, s.carries + s.xs),
    ...resid.map((r, i) => b.structural(SCAN_OUT, [n.id], { index: s.carries + i, window: 'after' }, windowType(r.type, 'after', s.length))),
    ...(s.truncate ? [truncationMask(b, s.length, s.truncate, s.reverse)] : []),
  ];
  const keep: Keep[] = [...fC.map((): Keep => 'last'), ...keptK.map((): Keep => 'last'), ...fX.map((): Keep => 'all'), ...partTypes.map((): Keep => 'all')];
  const bwd = b.structural(
    SCAN,
    [...inits, ...seqs, ...n.inputs.slice(s.carries + s.xs), ...unread.map((k) => zeros(b, carryT[k]!))],
    scanAttrs({ body, carries: keep.length, xs: seqs.length, keep, reverse: !s.reverse, length: s.length, truncate: 0, checkpoint: 0, segment: 0 }),
    SCAN_TYPE,
  );
  const read = (index: number, window: 'after' | 'last', t: TensorType) => b.structural(SCAN_OUT, [bwd], { index, window }, windowType(t, window, s.length));
  const result: (Value | null)[] = n.inputs.map(() => null);
  fC.forEach((k, q) => {
    result[k] = read(q, 'last', carryT[k]!);
  });
  keptK.forEach((j, q) => {
    result[s.carries + s.xs + j] = read(fC.length + q, 'last', capT[j]!);
  });
  const dxAll = fX.map((i, q) => read(fC.length + keptK.length + q, 'after', stepType(xT[i]!)));
  fX.forEach((i, q) => {
    result[s.carries + i] = dxAll[q]!;
  });
  const first = fC.length + keptK.length + fX.length;
  const stackedParts = partTypes.map((t, i) => read(first + i, 'after', t));
  fK.forEach((j, q) => {
    const m = hoisted[q];
    if (!m) return;
    const stacked = m.inputs.map((v) => {
      if (asDx.has(v)) return dxAll[asDx.get(v)!]!;
      const lv = asView.get(v);
      if (lv) return b.opNamed(lv.op, [lv.carry >= 0 ? fwdBefore(lv.carry) : n.inputs[s.carries + lv.x]!], lv.attrs);
      return stackedParts[partOf.get(v)!]!;
    });
    result[s.carries + s.xs + j] = opDef(m.op)!.algebra!.stackSum!(b, stacked) ?? null;
  });
  return result;
};

const stepType = (t: TensorType): TensorType => ({ dtype: t.dtype, shape: t.shape.slice(1) });

/**
 * Truncated BPTT, as a [T] mask of the forward steps: 0 where the carry's cotangent stops, at every
 * k-th step in the order the loop runs (i = t, or T − 1 − t backwards) except the first:
 *   mask_t = 1 − [i mod k = 0]·[i > 0]
 * so the gradient flows within windows of k steps and the initial carry gets the first window's.
 */
const truncationMask = (b: IrBuilder, T: Dim, k: number, reverse: boolean): Value => {
  const i32 = (v: number | Dim) => b.num(v, 'i32');
  const t = b.op('iota', [], { n: T });
  const i = reverse ? b.op('sub', [b.op('sub', [i32(T), i32(1)]), t]) : t;
  const q = b.op('cast', [b.op('div', [i, i32(k)])], { dtype: 'i32' });
  const atCut = b.op('mul', [
    b.op('cast', [b.op('eq', [b.op('sub', [i, b.op('mul', [q, i32(k)])]), i32(0)])], { dtype: 'f32' }),
    b.op('cast', [b.op('gt', [i, i32(0)])], { dtype: 'f32' }),
  ]);
  return b.op('sub', [b.num(1), atCut]);
};

/** The body's float matmuls and convolutions: worth storing per step rather than recomputing backward. */
const residualNodes = (body: IrFunction): Node[] => body.nodes.filter((m) => m.type.dtype === 'f32' && opDef(m.op)?.kind === 'contraction');

/**
 * Replaces scan `n` in `b` by one that also keeps each residual as an extra carry (kept 'all', zero
 * before the first step, the residual's value after each step). Carries keep their indices; the
 * extra carries come after them, so every existing scan_out still reads what it read.
 */
const storeResiduals = (b: IrBuilder, n: Node, resid: readonly Node[]): void => {
  const s = scanInfo(n);
  let next = nextNodeId(s.body.nodes);
  const inputs: Node[] = resid.map((r, i) => ({
    id: next++,
    op: INPUT,
    inputs: [],
    attrs: { name: bodyInputName('c', s.carries + i), role: 'input' },
    type: r.type,
    span: r.span,
    label: bodyInputName('c', s.carries + i),
  }));
  const body: IrFunction = {
    ...s.body,
    nodes: [...inputs, ...s.body.nodes],
    outputs: [...s.body.outputs, ...resid.map((r, i) => ({ name: `residual${i}`, id: r.id }))],
  };
  const first = b.nodes.length;
  const inits = b.at(n.span, () => resid.map((r) => zeros(b, r.type)), false);
  b.moveBefore(
    n.id,
    b.nodes.slice(first).map((x) => x.id),
  );
  b.replace({
    ...n,
    inputs: [...n.inputs.slice(0, s.carries), ...inits, ...n.inputs.slice(s.carries)],
    attrs: scanAttrs({ ...s, body, carries: s.carries + resid.length, keep: [...s.keep, ...resid.map((): Keep => 'all')] }),
  });
};

const missingCarry = (): never => {
  throw new InternalError('scan: a carry needed by backpropagation is not kept');
};
