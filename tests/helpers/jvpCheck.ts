// Forward mode checked three ways on one point: for random tangents v (of parameters and f32 inputs)
// and random output cotangents u,
//   ⟨u, J·v⟩ from the forward-mode program (compiler/autodiff/jvp.ts)
//   ⟨Jᵀ·u, v⟩ from reverse mode (the existing vjp)
//   ⟨u, (f(θ + εv) − f(θ − εv)) / 2ε⟩ central differences
// all in float64 in the reference interpreter; J·v is also compared element by element with the
// differences. Tolerance as tests/helpers/numeric.ts: 1e-6·(1 + |a| + |b|).
import { gradientsOf } from '../../compiler/autodiff/grad.js';
import { jvpProgram } from '../../compiler/autodiff/jvp.js';
import { IrBuilder } from '../../compiler/ir/builder.js';
import { interpret } from '../../compiler/ir/interp.js';
import { INPUT, inputName, type IrFunction } from '../../compiler/ir/ir.js';
import { verify } from '../../compiler/ir/verify.js';
import type { DimEnv } from '../../compiler/ir/bind.js';
import { nd } from '../../compiler/ops/ndarray.js';
import type { NdArray } from '../../compiler/ops/op.js';
import { EPS, closeF64, dot } from './numeric.js';

export interface JvpReport {
  readonly jvp: number;
  readonly vjp: number;
  readonly fd: number;
  readonly tangents: Record<string, Float64Array>;
}

/** `feed`: every input of f (parameters included) in float64; `wrt`: the f32 inputs given tangents. */
export const checkJvp = (
  f: IrFunction,
  feed: Readonly<Record<string, NdArray>>,
  env: DimEnv,
  wrt: readonly string[],
  rand: () => number,
  what: string,
): JvpReport => {
  const v = Object.fromEntries(wrt.map((w) => [w, feed[w]!.data.map(() => rand())]));
  // the program must also be well formed: a body input declared with the wrong type can give right values
  // through broadcasting (a sequence's tangent typed as a carry's step), which only the verifier sees
  const J = verify(jvpProgram(f, wrt));
  const tangentFeed = Object.fromEntries(wrt.map((w) => [`tangent:${w}`, nd(feed[w]!.shape, v[w]!)]));
  const out = interpret(J, { ...feed, ...tangentFeed }, env).outputs;
  const u = Object.fromEntries(f.outputs.map((o) => [o.name, out[o.name]!.data.map(() => rand())]));
  const jvp = f.outputs.reduce((s, o) => s + dot(u[o.name]!, out[`tangent:${o.name}`]!.data), 0);

  // reverse mode: ∇_θ Σₒ ⟨uₒ, fₒ⟩
  const b = new IrBuilder(f.nodes);
  const us = f.outputs.map((o) => b.input(`u:${o.name}`, 'input', b.type(o.id), b.node(o.id).span));
  const s = f.outputs
    .map((o, i) => {
      const t = b.type(o.id);
      return b.op('sum', [b.op('mul', [o.id, us[i]!])], { axes: [...t.shape.keys()], keepdims: false });
    })
    .reduce((a, x) => b.op('add', [a, x]));
  const ids = wrt.map((w) => f.nodes.find((n) => n.op === INPUT && inputName(n) === w)!.id);
  const g = gradientsOf(b, s, ids);
  const G = b.finish(
    'vjp',
    wrt.map((w, i) => ({ name: w, id: g[i]! })),
  );
  const uFeed = Object.fromEntries(f.outputs.map((o) => [`u:${o.name}`, nd(out[o.name]!.shape, u[o.name]!)]));
  const grads = interpret(G, { ...feed, ...uFeed }, env).outputs;
  const vjp = wrt.reduce((acc, w) => acc + dot(grads[w]!.data, v[w]!), 0);

  // central differences
  const shift = (h: number) =>
    Object.fromEntries(
      wrt.map((w) => [
        w,
        nd(
          feed[w]!.shape,
          feed[w]!.data.map((x, i) => x + h * v[w]![i]!),
        ),
      ]),
    );
  const moved = (h: number) => interpret(f, { ...feed, ...shift(h) }, env).outputs;
  const plus = moved(EPS),
    minus = moved(-EPS);
  let fd = 0;
  const tangents: Record<string, Float64Array> = {};
  for (const o of f.outputs) {
    const diff = plus[o.name]!.data.map((p, i) => (p - minus[o.name]!.data[i]!) / (2 * EPS));
    fd += dot(u[o.name]!, diff);
    const t = out[`tangent:${o.name}`]!.data;
    tangents[o.name] = t;
    t.forEach((x, i) => {
      if (!closeF64(x, diff[i]!)) throw new Error(`${what}: J·v of ${o.name}[${i}] is ${x}, finite differences ${diff[i]}`);
    });
  }
  if (!closeF64(jvp, vjp) || !closeF64(jvp, fd)) throw new Error(`${what}: ⟨u, J·v⟩ = ${jvp} (jvp), ⟨Jᵀu, v⟩ = ${vjp} (vjp), differences ${fd}`);
  return { jvp, vjp, fd, tangents };
};
