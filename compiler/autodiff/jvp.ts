// Forward mode: the Jacobian–vector product of IR as IR. A function is copied node by node and each
// copy is followed by its tangent ẏ = J·ẋ (null = identically zero), so the result computes the primal
// outputs and their tangents in one forward sweep (no stored activations, unlike reverse mode).
// Per-op rules (OpDef.jvp, in each op's file, or the default of its kind; ops/op.ts says which):
//   linear    ẏ = f(ẋ…)                               movement ops, gather, im2col/col2im, scatter_add
//   bilinear  ẏ = f(ẋ₀, x₁) + f(x₀, ẋ₁)                  matmul, convolutions
//   diagonal  ẏ = Σᵢ vjpᵢ(broadcast(ẋᵢ))                 elementwise ops: each output element depends
//             only on the same element of each (broadcast) input, so Jᵢ = Dᵢ·Bᵢ with Dᵢ diagonal and the
//             op's vjp rule (which never un-broadcasts) computes Dᵢ·c: applied to c = Bᵢ·ẋᵢ it gives Jᵢ·ẋᵢ
//   reduce    ẏ = Σ_axes vjp(1) ⊙ ẋ                    reductions: each input element feeds one output, so
//             J·ẋ sums the Jacobian's entries, read off as Jᵀ·1, times ẋ over the reduced axes
//   custom    a function of the op file (maxpool2d_grad), or { unsupported } (a clear error)
// A `scan` becomes a scan over (carry, tangent carry) with the body's forward-mode copy as its body;
// a function's own `grad` rule (custom_vjp) is transposed: ẏ = ∂/∂u Σᵢ ⟨ruleᵢ(x, u), ẋᵢ⟩, the rule
// being linear in its cotangent u.
import { error } from '../diagnostics/codes.js';
import { InternalError, type Diagnostic } from '../diagnostics/diagnostic.js';
import { IrBuilder } from '../ir/builder.js';
import { CUSTOM_VJP, customInfo } from '../ir/custom.js';
import { inlineFunction } from '../ir/inline.js';
import { CONST, INPUT, inputName, type IrFunction, type Node } from '../ir/ir.js';
import { SCAN, SCAN_OUT } from '../ir/scan.js';
import type { JvpFn, NodeView, OpDef, Value } from '../ops/op.js';
import { opDef } from '../ops/registry.js';
import { sameShape, type TensorType } from '../types/types.js';
import { vjp } from './grad.js';
import { scanJvp } from './jvpScan.js';

/** A user-facing failure of forward mode (an op without a forward-mode rule), with its diagnostic. */
export class JvpError extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}

export const zerosOf = (b: IrBuilder, t: TensorType): Value => (t.shape.length === 0 ? b.num(0) : b.op('broadcast_to', [b.num(0)], { shape: t.shape }));
const isFloat = (t: TensorType) => t.dtype === 'f32';

export type JvpRuleKind = 'linear' | 'bilinear' | 'diagonal' | 'reduce' | 'zero' | 'custom' | 'unsupported';

/** How forward mode differentiates an op: its declared rule or its kind's default. */
export const jvpRuleOf = (def: OpDef): JvpRuleKind => {
  const r = def.jvp;
  if (r === undefined) {
    if (!def.differentiable) return 'zero';
    const byKind: Record<string, JvpRuleKind> = { elementwise: 'diagonal', reduce: 'reduce', movement: 'linear', source: 'zero' };
    return byKind[def.kind] ?? 'unsupported';
  }
  return typeof r === 'function' ? 'custom' : typeof r === 'string' ? r : 'unsupported';
};

/** The tangent of primitive node n (its copy is `out`, with inputs `ins`) given its inputs' tangents. */
const tangentOf = (
  b: IrBuilder,
  def: OpDef,
  n: Node,
  out: Value,
  ins: readonly Value[],
  inTypes: readonly TensorType[],
  tan: readonly (Value | null)[],
): Value | null => {
  const t = tan.map((x, i) => (x !== null && isFloat(inTypes[i]!) ? x : null));
  if (n.type.dtype !== 'f32' || t.every((x) => x === null)) return null;
  const view: NodeView = { inputs: ins, out, attrs: n.attrs, inTypes, type: n.type };
  const kind = jvpRuleOf(def);
  switch (kind) {
    case 'zero':
      return null;
    case 'linear':
      return b.opNamed(
        def.name,
        ins.map((x, i) => (isFloat(inTypes[i]!) ? (t[i] ?? zerosOf(b, inTypes[i]!)) : x)),
        n.attrs,
      );
    case 'bilinear': {
      const parts = t.flatMap((ti, i) =>
        ti === null
          ? []
          : [
              b.opNamed(
                def.name,
                ins.map((x, j) => (j === i ? ti : x)),
                n.attrs,
              ),
            ],
      );
      return parts.reduce((a, p) => b.op('add', [a, p]));
    }
    case 'diagonal': {
      const parts = t.flatMap((ti, i) => {
        if (ti === null) return [];
        const c = sameShape(inTypes[i]!.shape, n.type.shape) ? ti : b.op('broadcast_to', [ti], { shape: n.type.shape });
        const g = def.vjp(b, c, view)[i];
        if (g === null || g === undefined) return [];
        if (!sameShape(b.type(g).shape, n.type.shape)) throw new InternalError(`jvp: the vjp rule of elementwise ${def.name} is not diagonal`);
        return [g];
      });
      return parts.length ? parts.reduce((a, p) => b.op('add', [a, p])) : null;
    }
    case 'reduce': {
      if (!Array.isArray(n.attrs['axes'])) throw new InternalError(`jvp: reduction ${def.name} has no axes; it must declare its rule`);
      const ones = n.type.shape.length === 0 ? b.num(1) : b.op('broadcast_to', [b.num(1)], { shape: n.type.shape });
      const w = def.vjp(b, ones, view)[0];
      if (w === null || w === undefined) return null;
      return b.op('sum', [b.op('mul', [w, t[0]!])], { axes: n.attrs['axes'], keepdims: n.attrs['keepdims'] ?? false });
    }
    case 'custom':
      return (def.jvp as JvpFn)(b, t, view);
    case 'unsupported': {
      const why = typeof def.jvp === 'object' ? def.jvp.unsupported : 'it declares no forward-mode rule';
      throw new JvpError(
        error('E0312', n.span, `forward mode (jvp) cannot differentiate ${def.name}: ${why}`, [
          { message: 'reverse mode (valueAndGrad, grad) differentiates it; a Jacobian–vector product can be formed from two of those' },
        ]),
      );
    }
  }
};

/**
 * Copies f into b with inputs from `args` (by name) and tangents from `tangents` (by name, absent =
 * zero); returns the outputs and their tangents.
 */
export const forwardMode = (
  b: IrBuilder,
  f: IrFunction,
  args: ReadonlyMap<string, Value>,
  tangents: ReadonlyMap<string, Value>,
): { outs: Value[]; touts: (Value | null)[] } => {
  const val = new Map<number, Value>(),
    tan = new Map<number, Value | null>();
  const get = (id: number): Value => {
    const v = val.get(id);
    if (v === undefined) throw new InternalError(`jvp: %${id} used before its definition`);
    return v;
  };
  const scanOuts = new Map<number, { primal: (k: number, window: string) => Value; tangent: (k: number, window: string) => Value | null }>();
  for (const n of f.nodes) {
    b.at(
      n.span,
      () => {
        if (n.op === INPUT) {
          const a = args.get(inputName(n));
          if (a === undefined) throw new InternalError(`jvp: no value for input '${inputName(n)}' of ${f.name}`);
          val.set(n.id, a);
          tan.set(n.id, tangents.get(inputName(n)) ?? null);
          return;
        }
        if (n.op === CONST) {
          val.set(n.id, b.num(n.attrs['value'] as number | string, n.attrs['dtype'] === 'f32' ? 'f32' : 'i32'));
          tan.set(n.id, null);
          return;
        }
        const ins = n.inputs.map(get);
        const tin = n.inputs.map((i) => tan.get(i) ?? null);
        if (n.op === SCAN) {
          scanOuts.set(n.id, scanJvp(b, n, ins, tin, forwardMode));
          val.set(n.id, -1);
          tan.set(n.id, null);
          return;
        }
        if (n.op === SCAN_OUT) {
          const s = scanOuts.get(n.inputs[0]!)!;
          const k = n.attrs['index'] as number,
            w = n.attrs['window'] as string;
          val.set(n.id, s.primal(k, w));
          tan.set(n.id, s.tangent(k, w));
          return;
        }
        if (n.op === CUSTOM_VJP) {
          val.set(n.id, b.structural(n.op, ins, n.attrs, n.type));
          tan.set(n.id, customTangent(b, n, ins, tin));
          return;
        }
        const def = opDef(n.op);
        if (!def) throw new InternalError(`jvp: unknown op ${n.op}`);
        const v = b.opNamed(n.op, ins, n.attrs);
        val.set(n.id, v);
        tan.set(
          n.id,
          tangentOf(
            b,
            def,
            n,
            v,
            ins,
            ins.map((i) => b.type(i)),
            tin,
          ),
        );
      },
      n.backward ?? false,
    );
  }
  return { outs: f.outputs.map((o) => get(o.id)), touts: f.outputs.map((o) => tan.get(o.id) ?? null) };
};

/**
 * A function's own rule x̄ᵢ = ruleᵢ(x, ȳ), linear in ȳ, transposed: ẏ = ∂/∂u Σᵢ ⟨ruleᵢ(x, u), ẋᵢ⟩,
 * formed by reverse mode over the rule inlined at a placeholder u (its value does not matter).
 */
const customTangent = (b: IrBuilder, n: Node, ins: readonly Value[], tin: readonly (Value | null)[]): Value | null => {
  const c = customInfo(n);
  const xs = ins.slice(1, 1 + c.args),
    caps = ins.slice(1 + c.args, 1 + c.args + c.ruleCaptures);
  const tx = tin.slice(1, 1 + c.args);
  if (tx.every((t) => t === null)) return null;
  const from = b.nodes.length;
  const u = zerosOf(b, n.type);
  const args = new Map<string, Value>();
  xs.forEach((x, i) => {
    args.set(`a${i}`, x);
  });
  args.set('dy', u);
  caps.forEach((k, i) => {
    args.set(`k${i}`, k);
  });
  const g = inlineFunction(b, c.rule, args);
  const seeds = g.flatMap((gi, i) => (tx[i] === null || tx[i] === undefined ? [] : [{ out: gi, seed: tx[i]! }]));
  return vjp(b, { from, seeds, wrt: [u] })[0] ?? null;
};

/**
 * The forward-mode program of `f`: its inputs plus `tangent:<name>` for each name in `wrt`, its outputs
 * plus `tangent:<output>` (J·v of each output for the given input tangents v).
 */
export const jvpProgram = (f: IrFunction, wrt: readonly string[]): IrFunction => {
  const b = new IrBuilder();
  const args = new Map<string, Value>(),
    tangents = new Map<string, Value>();
  for (const n of f.nodes) {
    if (n.op !== INPUT) continue;
    const name = inputName(n);
    args.set(name, b.input(name, n.attrs['role'] as never, n.type, n.span));
  }
  for (const name of wrt) {
    const n = f.nodes.find((m) => m.op === INPUT && inputName(m) === name);
    if (!n) throw new InternalError(`jvp: no input ${name}`);
    tangents.set(name, b.input(`tangent:${name}`, 'input', n.type, n.span));
  }
  const { outs, touts } = forwardMode(b, f, args, tangents);
  const outputs = f.outputs.map((o, i) => ({ name: o.name, id: outs[i]! }));
  const zero = (i: number) => b.at(f.nodes[0]?.span ?? b.span, () => zerosOf(b, b.type(outs[i]!)));
  const tangentOutputs = f.outputs.map((o, i) => ({ name: `tangent:${o.name}`, id: touts[i] ?? zero(i) }));
  return b.finish(`${f.name}_jvp`, [...outputs, ...tangentOutputs]);
};
