// sinkRows (before differentiation). A loop with checkpoint = k stores only every k-th carry for its
// backward pass (autodiff/checkpoint.ts), but the row-wise work around it keeps [T, …] buffers whatever k
// is: seq's cells project the whole sequence (x·Wx + b, after the embedding) before the loop, and the
// readout and per-step loss read the stacked states after it; those results and their cotangents are
// as large as the per-step values checkpointing was meant to drop. This pass moves that work into the
// loop's step, one step (row) at a time, using the ops' row rules (ops/rows.ts):
//   before the loop: a sequence xs = g(u…, W) with xsₜ = g(uₜ…, W) becomes its sources: the loop scans
//     over uₜ (the token ids rather than their projected embeddings) and its step computes g;
//   after the loop: a value y = h(stacked carries, v…, W) with yₜ = h(cₜ, vₜ…, W) is computed in the step
//     from that step's carries, and only what the rest of the program reads of it (the logits, their
//     log-softmax) is stacked, as extra carries that the step itself does not read. v may not bring in
//     a batch input the loop did not read (the loss's labels stay outside), so outputs that needed no
//     targets still need none.
// Values are unchanged (the same ops on the same rows). The loop's derivative then recomputes this work
// in each segment and accumulates the weights' gradients per step, so nothing of size T is left but the
// checkpoints, the loop's sources and what the program reads. Only loops with checkpoint = k < T change.
import { InternalError } from '../diagnostics/diagnostic.js';
import { IrBuilder } from '../ir/builder.js';
import { inlineFunction } from '../ir/inline.js';
import { CONST, INPUT, inputRole, type IrFunction, type Node } from '../ir/ir.js';
import { SCAN, SCAN_OUT, bodyInputName, outWindow, scanAttrs, scanInfo, windowType, type Keep } from '../ir/scan.js';
import type { NodeView, RowRule, Value } from '../ops/op.js';
import { opDef } from '../ops/registry.js';
import { rowsOf } from '../ops/rows.js';
import type { TensorType } from '../types/types.js';
import type { Pass } from './pass.js';

const checkpointed = (n: Node): boolean => {
  if (n.op !== SCAN) return false;
  const s = scanInfo(n);
  return s.checkpoint > 0 && !(typeof s.length === 'number' && s.checkpoint >= s.length);
};

const view = (b: IrBuilder, n: Node): NodeView => ({ inputs: n.inputs, out: n.id, attrs: n.attrs, inTypes: n.inputs.map((i) => b.type(i)), type: n.type });
const rowType = (t: TensorType, axis: number): TensorType => ({ dtype: t.dtype, shape: t.shape.filter((_, i) => i !== axis) });
const sameShape = (a: TensorType, b: TensorType) => a.dtype === b.dtype && a.shape.map(String).join() === b.shape.map(String).join();

export const sinkRows: Pass = {
  name: 'sinkRows',
  doc: 'moves the row-wise computations on a checkpointed loop’s sequences and stacked results into its step',
  run: (f: IrFunction): IrFunction => {
    const loops = f.nodes.filter(checkpointed);
    if (loops.length === 0) return f;
    const b = new IrBuilder(f.nodes);
    const pinned = new Set([...f.outputs.map((o) => o.id), ...f.updates.map((u) => u.value)]);
    for (const n of loops) sinkInto(b, n.id, pinned);
    return { ...f, nodes: [...b.nodes] };
  },
};

/** The loop's own results and what is computed from them row by row (value → its row axis, rule). */
const rowsAfter = (b: IrBuilder, n: Node, later: readonly Node[]) => {
  const T = scanInfo(n).length;
  const dependent = new Set<Value>([n.id]);
  for (const m of later) if (m.inputs.some((i) => dependent.has(i))) dependent.add(m.id);
  // The loop may not come to read a batch input it did not read (a loss's labels): its results, an
  // output such as the logits, would then need the targets, and predict and export would lose them.
  const batchInputs = new Map<Value, ReadonlySet<Value>>();
  for (const m of b.nodes) {
    const own = m.op === INPUT && (inputRole(m) === 'input' || inputRole(m) === 'target') ? [m.id] : [];
    batchInputs.set(m.id, new Set([...own, ...m.inputs.flatMap((i) => [...(batchInputs.get(i) ?? [])])]));
  }
  const reads = new Set(n.inputs.flatMap((i) => [...batchInputs.get(i)!]));
  const addsInput = (v: Value) => [...batchInputs.get(v)!].some((x) => !reads.has(x));
  const axisOf = new Map<Value, number>();
  const rules = new Map<Value, RowRule>();
  for (const m of later) {
    if (m.op === SCAN_OUT && m.inputs[0] === n.id) {
      if (outWindow(m).window === 'after') axisOf.set(m.id, 0);
      continue;
    }
    const def = opDef(m.op);
    if (!def || m.type.dtype !== 'f32' || !m.inputs.some((i) => axisOf.has(i))) continue;
    for (let axis = 0; axis < m.type.shape.length; axis++) {
      const r = String(m.type.shape[axis]) === String(T) ? rowsOf(def, view(b, m), axis) : undefined;
      // the loop's rows at their own axis; anything else must not depend on the loop
      const fits =
        r &&
        m.inputs.every((i, k) => {
          const ri = r.inputs[k]!;
          return axisOf.has(i) ? 'row' in ri && ri.row === axisOf.get(i) : !dependent.has(i) && !addsInput(i);
        });
      if (fits) {
        axisOf.set(m.id, axis);
        rules.set(m.id, r);
        break;
      }
    }
  }
  return { axisOf, rules };
};

const sinkInto = (b: IrBuilder, id: Value, pinned: ReadonlySet<Value>): void => {
  const n = b.node(id);
  const s = scanInfo(n);
  const C = s.carries,
    X = s.xs;
  const later = b.nodes.slice(b.nodes.indexOf(n) + 1);
  const { axisOf, rules } = rowsAfter(b, n, later);
  const readers = new Map<Value, Value[]>();
  for (const m of b.nodes) for (const i of m.inputs) readers.set(i, [...(readers.get(i) ?? []), m.id]);
  // what the rest of the program reads of the sunk values is stacked
  const frontier = [...rules.keys()].filter((v) => pinned.has(v) || (readers.get(v) ?? []).some((r) => !rules.has(r)));
  // every row value has the loop's length on its row axis (a rule that says otherwise is a bug)
  const extent = (p: Node, axis: number) => {
    if (String(p.type.shape[axis]) !== String(s.length)) throw new InternalError(`sinkRows: axis ${axis} of ${p.op} is not the loop's length`);
  };
  const ruleAt = (p: Node, axis: number): RowRule | undefined => {
    extent(p, axis);
    const def = p.op === INPUT || p.op === CONST ? undefined : opDef(p.op);
    return def ? rowsOf(def, view(b, p), axis) : undefined;
  };
  const inputSide = n.inputs.slice(C, C + X).some((v) => ruleAt(b.node(v), 0) !== undefined);
  if (frontier.length === 0 && !inputSide) return;

  const ib = new IrBuilder();
  const carryT = n.inputs.slice(0, C).map((v) => b.type(v));
  const frontierT = frontier.map((v) => rowType(b.type(v), axisOf.get(v)!));
  const cIn = carryT.map((t, j) => ib.input(bodyInputName('c', j), 'input', t, n.span));
  frontierT.forEach((t, q) => {
    ib.input(bodyInputName('c', C + q), 'input', t, n.span);
  });
  const caps = [...n.inputs.slice(C + X)];
  const capIn = caps.map((v, q) => ib.input(bodyInputName('k', q), 'input', b.type(v), n.span));
  const seqs: Value[] = [];
  const outer: Value[] = [];
  const capture = (v: Value): Value => {
    const p = b.node(v);
    if (p.op === CONST) return ib.structural(CONST, [], p.attrs, p.type);
    const q = caps.indexOf(v);
    if (q >= 0) return capIn[q]!;
    caps.push(v);
    capIn.push(ib.input(bodyInputName('k', caps.length - 1), 'input', p.type, n.span));
    return capIn[capIn.length - 1]!;
  };
  // a value computed outside, read one row per step: a new sequence (its row axis brought first)
  const source = (v: Value, axis: number): Value => {
    const t = b.type(v);
    const x = axis === 0 ? v : b.at(n.span, () => b.op('transpose', [v], { perm: [axis, ...[...t.shape.keys()].filter((d) => d !== axis)] }), false);
    if (x !== v) outer.push(x);
    seqs.push(x);
    return ib.input(bodyInputName('x', seqs.length - 1), 'input', rowType(t, axis), n.span);
  };
  const inner = new Map<Value, Value>();
  const memo = new Map<string, Value>();
  const build = (p: Node, rule: RowRule, axis: number): Value =>
    ib.at(
      p.span,
      () => {
        const ins = p.inputs.map((i, k) => {
          const ri = rule.inputs[k]!;
          if ('row' in ri) return rowOf(i, ri.row);
          const c = capture(i);
          return ri.drop === undefined ? c : ib.op('reshape', [c], { shape: b.type(i).shape.filter((_, d) => d !== ri.drop) });
        });
        const v = ib.opNamed(p.op, ins, rule.attrs);
        if (!sameShape(ib.type(v), rowType(p.type, axis))) throw new InternalError(`sinkRows: a row of ${p.op} along axis ${axis} is not ${p.op} of rows`);
        if (p.label) ib.label(v, p.label);
        return v;
      },
      false,
    );
  const rowOf = (v: Value, axis: number): Value => {
    const hit = inner.get(v);
    if (hit !== undefined) return hit;
    const key = `${v}:${axis}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const p = b.node(v);
    const rule = ruleAt(p, axis);
    const r = rule ? build(p, rule, axis) : source(v, axis);
    memo.set(key, r);
    return r;
  };

  const args = new Map<string, Value>();
  cIn.forEach((v, j) => {
    args.set(bodyInputName('c', j), v);
  });
  capIn.forEach((v, q) => {
    args.set(bodyInputName('k', q), v);
  });
  for (let i = 0; i < X; i++) args.set(bodyInputName('x', i), rowOf(n.inputs[C + i]!, 0));
  const outs = inlineFunction(ib, s.body, args);
  for (const m of later) {
    if (!axisOf.has(m.id)) continue;
    inner.set(m.id, m.op === SCAN_OUT ? outs[outWindow(m).index]! : build(m, rules.get(m.id)!, axisOf.get(m.id)!));
  }
  const results = [...outs, ...frontier.map((v) => inner.get(v)!)];
  const built = ib.finish(
    s.body.name,
    results.map((v, q) => ({ name: `c${q}`, id: v })),
  );
  // the body's inputs first (carries, sequences, captures), then its computation
  const order = (m: Node) => (m.op !== INPUT ? 3 : 'ckx'.indexOf(String(m.attrs['name']).charAt(0)));
  const body = { ...built, nodes: [...built.nodes].sort((p, q) => (order(p) === 3 && order(q) === 3 ? 0 : order(p) - order(q))) };

  // the new loop, in place of the old one: the same carries first, so its old results read the same
  const inits = frontierT.map((t) =>
    b.at(
      n.span,
      () => {
        const z = b.num(0);
        outer.push(z);
        if (t.shape.length === 0) return z;
        const full = b.op('broadcast_to', [z], { shape: t.shape });
        outer.push(full);
        return full;
      },
      false,
    ),
  );
  const keep: Keep[] = [...s.keep, ...frontier.map((): Keep => 'all')];
  const attrs = scanAttrs({ ...s, body, carries: C + frontier.length, xs: seqs.length, keep });
  b.replace({ ...n, inputs: [...n.inputs.slice(0, C), ...inits, ...seqs, ...caps], attrs });
  // sources and captures first computed after the loop (a loss's labels) move before it, with what they read
  const at = b.nodes.indexOf(b.node(id));
  const moving = new Set<Value>();
  const pull = (v: Value) => {
    const i = b.nodes.indexOf(b.node(v));
    if (i <= at || moving.has(v)) return;
    moving.add(v);
    b.node(v).inputs.forEach(pull);
  };
  [...seqs, ...caps].forEach(pull);
  b.moveBefore(id, [...b.nodes.filter((m) => moving.has(m.id)).map((m) => m.id), ...outer]);
  // each stacked result stands where its value was: [T, row…] with the row axis moved back in place
  const next = b.nodes[b.nodes.indexOf(b.node(id)) + 1]!.id;
  const stacked = frontier.map((_, q) =>
    b.at(n.span, () => b.structural(SCAN_OUT, [id], { index: C + q, window: 'after' }, windowType(frontierT[q]!, 'after', s.length)), false),
  );
  b.moveBefore(next, stacked);
  frontier.forEach((v, q) => {
    const m = b.node(v),
      a = axisOf.get(v)!;
    b.replace({ ...m, op: 'transpose', inputs: [stacked[q]!], attrs: { perm: [...m.type.shape.keys()].map((i) => (i < a ? i + 1 : i === a ? 0 : i)) } });
  });
};
