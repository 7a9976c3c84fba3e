// gradcheck's check of functions with their own gradient rule (`fn f(x) = … grad (x, dy) = …`): at the
// point where the model calls f, the rule's cotangents against central differences of f's body,
//   Σᵢ ⟨rule(x, dy)ᵢ, vᵢ⟩  vs  ⟨dy, (f(x + εv) − f(x − εv)) / 2ε⟩
// for random dy and directions v, with the same tolerance and kink handling as the parameter checks.
// A rule that is deliberately not the derivative (a straight-through estimator) is reported as one
// that differs: that is what it is. Calls inside loop bodies are checked through the model's gradient.
import { Rng } from '../../runtime/random.js';
import type { Span } from '../diagnostics/span.js';
import { CUSTOM_VJP, customInfo } from '../ir/custom.js';
import type { DimEnv } from '../ir/bind.js';
import { interpret } from '../ir/interp.js';
import type { IrFunction } from '../ir/ir.js';
import { nd } from '../ops/ndarray.js';
import type { NdArray } from '../ops/op.js';

export interface RuleCheck {
  /** The function's name. */
  readonly fn: string;
  /** Where its rule is written, and the call that was checked. */
  readonly rule: Span;
  readonly call: Span;
  readonly ok: boolean;
  readonly maxRelError: number;
  readonly checks: number;
  readonly nonSmooth: number;
}

const ATOL = 1e-7,
  RTOL = 1e-5,
  EPS = 1e-6,
  KINK = 1e-3;
const close = (a: number, b: number): boolean => Math.abs(a - b) <= ATOL + RTOL * Math.max(Math.abs(a), Math.abs(b));
const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), ATOL / RTOL);
const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};
const axpy = (x: NdArray, h: number, d: Float64Array): NdArray =>
  nd(
    x.shape,
    x.data.map((xi, i) => xi + h * d[i]!),
  );

/** Checks every custom rule called in `f` (the model's forward program), evaluated at `inputs`. */
export const checkCustomRules = (f: IrFunction, inputs: Readonly<Record<string, NdArray>>, env: DimEnv, seed: number, directions = 3): RuleCheck[] => {
  const calls = f.nodes.filter((n) => n.op === CUSTOM_VJP);
  if (calls.length === 0) return [];
  const values = interpret({ ...f, outputs: [], updates: [] }, inputs, env).values;
  const rng = new Rng(seed + 7919);
  return calls.map((n) => {
    const c = customInfo(n);
    const x0 = n.inputs.slice(1, 1 + c.args).map((id) => values.get(id)!);
    const ruleCaps = n.inputs.slice(1 + c.args, 1 + c.args + c.ruleCaptures).map((id) => values.get(id)!);
    const primalCaps = n.inputs.slice(1 + c.args + c.ruleCaptures).map((id) => values.get(id)!);
    const primal = (xs: readonly NdArray[]) => {
      const named: Record<string, NdArray> = {};
      xs.forEach((x, i) => {
        named[`a${i}`] = x;
      });
      primalCaps.forEach((k, j) => {
        named[`p${j}`] = k;
      });
      return interpret(c.primal, named, env).outputs['out0']!.data;
    };
    const rule = (xs: readonly NdArray[], dy: NdArray) => {
      const named: Record<string, NdArray> = { dy };
      xs.forEach((x, i) => {
        named[`a${i}`] = x;
      });
      ruleCaps.forEach((k, j) => {
        named[`k${j}`] = k;
      });
      const out = interpret(c.rule, named, env).outputs;
      return xs.map((_, i) => out[`out${i}`]!.data);
    };
    const yShape = values.get(n.inputs[0]!)!.shape;
    let worst = 0,
      ok = true,
      nonSmooth = 0,
      checks = 0;
    for (let d = 0; d < directions; d++) {
      checks++;
      const dy = nd(
        yShape,
        Float64Array.from({ length: values.get(n.inputs[0]!)!.data.length }, () => rng.normal()),
      );
      const v = x0.map((x) => Float64Array.from({ length: x.data.length }, () => rng.normal()));
      let verdict: 'ok' | 'fail' | 'kink' = 'kink',
        err = 0;
      for (let attempt = 0; attempt < 3 && verdict === 'kink'; attempt++) {
        // the call's point, then up to two nearby points when the step lands on a kink
        const xs =
          attempt === 0
            ? x0
            : x0.map((x) =>
                nd(
                  x.shape,
                  x.data.map((xi) => xi + 1e-3 * (Math.abs(xi) + 0.1) * rng.normal()),
                ),
              );
        const an = rule(xs, dy).reduce((s, g, i) => s + dot(g, v[i]!), 0);
        const y0 = primal(xs);
        const side = (h: number) => {
          const yp = primal(xs.map((x, i) => axpy(x, h, v[i]!))),
            ym = primal(xs.map((x, i) => axpy(x, -h, v[i]!)));
          return {
            fd: (dot(dy.data, yp) - dot(dy.data, ym)) / (2 * h),
            right: (dot(dy.data, yp) - dot(dy.data, y0)) / h,
            left: (dot(dy.data, y0) - dot(dy.data, ym)) / h,
          };
        };
        const a = side(EPS),
          b = close(a.fd, an) ? a : side(EPS / 4);
        err = rel(b.fd, an);
        if (close(b.fd, an)) {
          verdict = 'ok';
          break;
        }
        const gapA = Math.abs(a.right - a.left),
          gapB = Math.abs(b.right - b.left);
        verdict = gapB > ATOL + KINK * Math.max(Math.abs(b.right), Math.abs(b.left)) && gapB > gapA / 2 ? 'kink' : 'fail';
      }
      if (verdict === 'kink') {
        nonSmooth++;
        continue;
      }
      worst = Math.max(worst, err);
      ok &&= verdict === 'ok';
    }
    return { fn: c.fn, rule: c.ruleSpan, call: n.span, ok, maxRelError: worst, checks, nonSmooth };
  });
};
