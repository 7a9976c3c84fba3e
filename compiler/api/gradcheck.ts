// Gradient checking for users' models: the symbolic gradient (float64, reference interpreter) against
// central finite differences of the loss, along random directions for every parameter and element by
// element for small ones; and the compiled float32 gradient against the float64 one.
//
// Each loss is checked against the parameters it trains (`loss g_loss = … trains gen`), so a model with
// several losses is checked loss by loss; a single loss trains every parameter. The check runs in
// training mode by default (batch norm with the batch's statistics, dropout with one fixed mask drawn
// from the model's seed, the same in every evaluation), which is what a training step differentiates.
//
// Tolerance: with step ε = 1e-6 in float64, central differences err by O(ε²·|L'''|) (truncation) plus
// O(u·|L|/ε) ≈ 1e-10·|L| (rounding, u = 2⁻⁵³), so a correct rule agrees to ~1e-8 relative. We accept
// |a − b| ≤ 1e-7 + 1e-5·max(|a|, |b|); a wrong rule is off by O(1) relative and fails by orders of magnitude.
// Float32 code rounds every stored value (u = 2⁻²⁴ ≈ 6e-8) through chains of O(10²) operations: 1e-3.
//
// Non-smooth points: relu, max, abs and max pooling have kinks, and a step that crosses one makes the
// central difference meaningless. Where the check fails, the one-sided differences (L(θ+εd) − L(θ))/ε
// and (L(θ) − L(θ−εd))/ε tell why: at a smooth point they differ by ε·dᵀHd, which shrinks with ε,
// across a kink by the jump in slope, which does not. Then the check moves to a nearby point
// (θ + 1e-3·(|θ| + 0.1)·noise) and tries again; a check still at a kink after that counts as
// "non-smooth at this point", not as a failure.
import { setOwn } from '../../runtime/tensor.js';
import { Rng } from '../../runtime/random.js';
import type { Tensor, TensorData } from '../../runtime/tensor.js';
import { INPUT, neededFrom, type IrFunction } from '../ir/ir.js';
import { bindInputs, gradientProgram, optimize, specialize } from '../pipeline.js';
import { concreteShape, type DimEnv } from '../ir/bind.js';
import { SCAN, scanInfo, scanLength } from '../ir/scan.js';
import { InternalError } from '../diagnostics/diagnostic.js';
import { interpret } from '../ir/interp.js';
import { nd } from '../ops/ndarray.js';
import { dimEval, dimNames } from '../types/dims.js';
import type { NdArray } from '../ops/op.js';
import { RunError } from './errors.js';
import type { Model } from './model.js';
import { checkCustomRules, type RuleCheck } from './gradcheckRules.js';

export interface GradcheckOptions {
  readonly seed?: number;
  /** Sizes for symbolic dims (default 3 for each). */
  readonly dims?: Readonly<Record<string, number>>;
  /** Random directions per parameter (default 3; parameters over 4096 elements get 2). */
  readonly directions?: number;
  /** Parameters with at most this many elements are also checked element by element (default 8). */
  readonly elementwiseUpTo?: number;
  /** Training mode (default true): batch statistics, the same dropout mask in every evaluation. False: evaluation mode. */
  readonly training?: boolean;
  /** How many nearby points to try when a check lands on a kink (default 2). */
  readonly moves?: number;
  /** Skip comparing the compiled float32 gradient with the float64 one (default false). */
  readonly skipF32?: boolean;
  /**
   * What evaluates the loss for finite differences: the forward program compiled in float64 (10–50×
   * faster per evaluation, after compiling it once) or the reference interpreter. Default: compiled
   * when the forward pass computes more than 20,000 values. The symbolic gradient is always the
   * interpreter's.
   */
  readonly differencesBy?: 'compiled' | 'interpreter';
}

export interface ParamCheck {
  readonly name: string;
  /** The loss this parameter's gradient was checked for (models with several losses). */
  readonly loss?: string;
  /** Worst |a − b| / max(|a|, |b|, 1e-2) over the checks. */
  readonly maxRelError: number;
  readonly f32RelError: number;
  readonly ok: boolean;
  readonly checks: number;
  /** Checks that stayed at a non-smooth point (a kink within the finite-difference step) even after moving. */
  readonly nonSmooth: number;
}

export interface GradcheckReport {
  readonly ok: boolean;
  /** The first loss's value at the checked point. */
  readonly loss: number;
  /** Every loss by name. */
  readonly losses: Readonly<Record<string, number>>;
  readonly training: boolean;
  readonly params: readonly ParamCheck[];
  /** Functions with their own `grad` rule, each call compared with finite differences of the function's body. */
  readonly rules: readonly RuleCheck[];
}

const ATOL = 1e-7,
  RTOL = 1e-5,
  F32_TOL = 1e-3,
  EPS = 1e-6;
/** One-sided slopes that differ by more than this (relative) mean a kink within the step. */
const KINK = 1e-3;
const MOVE = 1e-3,
  MOVES = 2,
  BIG = 4096;
const close = (a: number, b: number): boolean => Math.abs(a - b) <= ATOL + RTOL * Math.max(Math.abs(a), Math.abs(b));
const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), ATOL / RTOL);

/** Random inputs of the declared shapes: normals for floats, class indices for integer targets. */
export const randomInputs = (model: Model, rng: Rng, dims: Readonly<Record<string, number>>): Record<string, Tensor> => {
  const ir = model.ir;
  const classes = ir.fn.outputs.map((o) => ir.fn.nodes.find((n) => n.id === o.id)!.type.shape).find((s) => s.length === 2)?.[1];
  const k = typeof classes === 'number' ? classes : 2;
  const out: Record<string, Tensor> = {};
  for (const i of ir.inputs) {
    const env = new Map(i.type.shape.flatMap((d) => dimNames(d)).map((n) => [n, dims[n] ?? 3] as const));
    const shape = i.type.shape.map((d) => dimEval(d, env)!);
    const n = shape.reduce((a, b) => a * b, 1);
    out[i.name] =
      i.type.dtype === 'f32'
        ? { data: Float32Array.from({ length: n }, () => rng.normal()), shape }
        : { data: Int32Array.from({ length: n }, () => (i.type.dtype === 'bool' ? rng.int(2) : rng.int(k))), shape };
  }
  return out;
};

/** The forward program reduced to the losses, and the program of every loss's gradient with respect to the parameters it trains. */
const programs = (model: Model): { fwd: IrFunction; grad: IrFunction } => {
  const ir = model.ir;
  const outputs = ir.losses.map((l, i) => ({ name: `loss${i}`, id: l.id }));
  const needed = neededFrom(
    ir.fn,
    outputs.map((o) => o.id),
  );
  const fwd: IrFunction = { ...ir.fn, nodes: ir.fn.nodes.filter((n) => needed.has(n.id) || n.op === INPUT), outputs, updates: [] };
  const asked = ir.losses.map((l, i) => ({
    loss: l.id,
    wrt: ir.params.filter((p) => l.params.includes(p.id)).map((p) => ({ name: `grad${i}:${p.name}`, id: p.id })),
  }));
  return { fwd, grad: gradientProgram(fwd, `${ir.name}_gradcheck`, outputs, asked) };
};

const SMALL_WORK = 20_000;
/** How many values a program computes (a loop's body counted once per step): what interpreting it costs. */
const work = (f: IrFunction, env: DimEnv): number =>
  f.nodes.reduce((sum, n) => {
    if (n.op === SCAN) {
      const s = scanInfo(n);
      return sum + scanLength(s, env) * work(s.body, env);
    }
    try {
      return sum + concreteShape(n.type.shape, env).reduce((a, d) => a * d, 1);
    } catch {
      return sum;
    }
  }, 0);

/** The losses computed by the forward program compiled in float64, for parameters given in float64. */
const compiledLosses = (model: Model, fwd: IrFunction, env: DimEnv, fixed: Readonly<Record<string, Tensor>>) => {
  const spec = specialize(optimize(fwd, model.opts.passes), env, 'f64', model.opts.passes?.disable, undefined, model.opts.backend);
  const states = model.ir.states;
  return (ps: Readonly<Record<string, Float64Array>>): number[] => {
    spec.module.run(
      spec.schedule.inputs.map((s) => {
        if (Object.hasOwn(ps, s.name)) return ps[s.name]!;
        if (Object.hasOwn(fixed, s.name)) return fixed[s.name]!.data as TensorData;
        if (states.some((p) => p.name === s.name)) return model.states[s.name]!;
        throw new InternalError(`gradcheck: no value for input '${s.name}'`);
      }),
    );
    return model.ir.losses.map((_, i) => spec.outputs[`loss${i}`]![0]!);
  };
};

const maxAbs = (g: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < g.length; i++) m = Math.max(m, Math.abs(g[i]!));
  return m;
};
const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

export const gradcheck = (model: Model, opts: GradcheckOptions = {}): GradcheckReport => {
  const ir = model.ir;
  if (ir.losses.length === 0) throw new RunError([], `model ${model.name} declares no loss, so it has no gradient to check`);
  const rng = new Rng(opts.seed ?? 0);
  const training = opts.training ?? true;
  const inputs = randomInputs(model, rng, opts.dims ?? {});
  const { fwd, grad } = programs(model);
  const fixed: Record<string, NdArray> = {};
  for (const [k, t] of Object.entries({ ...inputs, ...model.hyperDefaults(training) })) setOwn(fixed, k, nd(t.shape, Float64Array.from(t.data)));
  for (const p of ir.states) setOwn(fixed, p.name, nd(p.type.shape as number[], Float64Array.from(model.states[p.name]!)));
  const withParams = (ps: Readonly<Record<string, Float64Array>>): Record<string, NdArray> => {
    const r: Record<string, NdArray> = { ...fixed };
    for (const p of ir.params) setOwn(r, p.name, nd(p.type.shape as number[], ps[p.name]!));
    return r;
  };
  const base: Record<string, Float64Array> = {};
  for (const p of ir.params) setOwn(base, p.name, Float64Array.from(model.params[p.name]!));
  const bound = bindInputs(grad, Object.fromEntries(Object.entries(withParams(base)).map(([k, v]) => [k, { data: v.data, shape: v.shape }])));
  if (bound.errors.length) throw new RunError(bound.errors);
  const env = bound.env;
  const interpreted = (ps: Readonly<Record<string, Float64Array>>): number[] => {
    const out = interpret(fwd, withParams(ps), env).outputs;
    return ir.losses.map((_, i) => out[`loss${i}`]!.data[0]!);
  };
  const by = opts.differencesBy ?? (work(fwd, env) > SMALL_WORK ? 'compiled' : 'interpreter');
  const lossesAt = by === 'interpreter' ? interpreted : compiledLosses(model, fwd, env, { ...inputs, ...model.hyperDefaults(training) });
  const gradAt = (ps: Readonly<Record<string, Float64Array>>) => {
    const out = interpret(grad, withParams(ps), env).outputs;
    return { losses: ir.losses.map((_, i) => out[`loss${i}`]!.data[0]!), grad: (i: number, name: string) => out[`grad${i}:${name}`]!.data };
  };
  const exact = gradAt(base);
  const moved = (ps: Readonly<Record<string, Float64Array>>, name: string, dir: Float64Array, h: number) => {
    const x = ps[name]!,
      y = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) y[i] = x[i]! + h * dir[i]!;
    return { ...ps, [name]: y };
  };
  /** Another point near θ: every parameter moved by MOVE·(|θ| + 0.1)·noise. */
  const nearby = (): Record<string, Float64Array> => {
    const r: Record<string, Float64Array> = {};
    for (const p of ir.params)
      setOwn(
        r,
        p.name,
        base[p.name]!.map((x) => x + MOVE * (Math.abs(x) + 0.1) * rng.normal()),
      );
    return r;
  };

  type Verdict = 'ok' | 'fail' | 'kink';
  /**
   * Checks the directional derivative of loss i along `dir` in parameter `name` at point `ps` (loss l0,
   * gradient g). When the central difference disagrees, it is taken again with the step ε/4: a kink the
   * larger step crossed is then outside it (the check passes), while a kink within ε/4 keeps the
   * one-sided slopes apart by the same jump (right − left does not shrink with the step, where at a
   * smooth point it is ε·dᵀHd and shrinks 4×).
   */
  const checkAt = (ps: Readonly<Record<string, Float64Array>>, l0: number, g: ArrayLike<number>, i: number, name: string, dir: Float64Array) => {
    const an = dot(g, dir);
    const sides = (h: number) => {
      const lp = lossesAt(moved(ps, name, dir, h))[i]!,
        lm = lossesAt(moved(ps, name, dir, -h))[i]!;
      return { fd: (lp - lm) / (2 * h), right: (lp - l0) / h, left: (l0 - lm) / h };
    };
    const a = sides(EPS);
    if (close(a.fd, an)) return { verdict: 'ok' as Verdict, err: rel(a.fd, an) };
    const b = sides(EPS / 4);
    if (close(b.fd, an)) return { verdict: 'ok' as Verdict, err: rel(b.fd, an) };
    const gapA = Math.abs(a.right - a.left),
      gapB = Math.abs(b.right - b.left);
    const kink = gapB > ATOL + KINK * Math.max(Math.abs(b.right), Math.abs(b.left)) && gapB > gapA / 2;
    return { verdict: (kink ? 'kink' : 'fail') as Verdict, err: rel(a.fd, an) };
  };

  const reports: ParamCheck[] = [];
  const bigDirections = Math.min(opts.directions ?? 3, 2);
  ir.losses.forEach((group, i) => {
    const label = ir.losses.length > 1 ? { loss: group.name } : {};
    for (const p of ir.params.filter((q) => group.params.includes(q.id))) {
      const g = exact.grad(i, p.name);
      const n = g.length;
      let worst = 0,
        ok = true,
        checks = 0,
        nonSmooth = 0;
      const check = (dir: Float64Array) => {
        checks++;
        let r = checkAt(base, exact.losses[i]!, g, i, p.name, dir);
        for (let m = 0; m < (opts.moves ?? MOVES) && r.verdict === 'kink'; m++) {
          const ps = nearby(),
            at = gradAt(ps);
          r = checkAt(ps, at.losses[i]!, at.grad(i, p.name), i, p.name, dir);
        }
        if (r.verdict === 'kink') {
          nonSmooth++;
          return;
        }
        worst = Math.max(worst, r.err);
        ok &&= r.verdict === 'ok';
      };
      const directions = n > BIG ? bigDirections : (opts.directions ?? 3);
      for (let d = 0; d < directions; d++) check(Float64Array.from({ length: n }, () => rng.normal()));
      if (n <= (opts.elementwiseUpTo ?? 8))
        for (let e = 0; e < n; e++) {
          const u = new Float64Array(n);
          u[e] = 1;
          check(u);
        }
      reports.push({ name: p.name, ...label, maxRelError: worst, f32RelError: 0, ok, checks, nonSmooth });
    }
  });

  // The compiled float32 gradient against the float64 one, loss by loss, in the same mode.
  if (!opts.skipF32) {
    ir.losses.forEach((group, i) => {
      const compiled = model.valueAndGrad(inputs, { precision: 'f32', training, ...(ir.losses.length > 1 ? { loss: group.name } : {}) }).grads;
      for (const [q, r] of reports.entries()) {
        if ((r.loss ?? ir.losses[0]!.name) !== group.name) continue;
        const g = exact.grad(i, r.name),
          c = compiled[r.name]!;
        const scale = Math.max(1e-3, maxAbs(g));
        let f32 = 0;
        for (let e = 0; e < g.length; e++) f32 = Math.max(f32, Math.abs(c[e]! - g[e]!) / scale);
        reports[q] = { ...r, f32RelError: f32, ok: r.ok && f32 <= F32_TOL };
      }
    });
  }
  const rules = checkCustomRules(fwd, withParams(base), env, opts.seed ?? 0);
  const losses: Record<string, number> = {};
  ir.losses.forEach((l, i) => {
    setOwn(losses, l.name, exact.losses[i]!);
  });
  return { ok: reports.every((r) => r.ok) && rules.every((r) => r.ok), loss: exact.losses[0]!, losses, training, params: reports, rules };
};
