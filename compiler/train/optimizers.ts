// Optimizers as IR: each rule builds its update from the parameter p, its gradient g, its state slots
// and the hyper-parameters, so the whole update is compiled and fused into the training step.
// lr and the step count t are run-time scalar inputs, so schedules never force a recompile.
//
// The rules are PyTorch 1.13's (torch.optim, as its documentation writes them), with the same names
// for the settings; where dlm's defaults differ from PyTorch's the rule's `torch` lists PyTorch's.
// Boolean settings (nesterov, amsgrad, centered, eps_inside) are 0/1 (`true`/`false` in .dlm).
import type { IrBuilder } from '../ir/builder.js';
import type { Value } from '../ops/op.js';

export interface OptimizerContext {
  readonly b: IrBuilder;
  /** Learning rate (run-time scalar) and 1-based step count t (run-time scalar). */
  readonly lr: Value;
  readonly t: Value;
  readonly hp: Readonly<Record<string, number>>;
}

export interface OptimizerRule {
  readonly doc: string;
  readonly defaults: Readonly<Record<string, number>>;
  /** PyTorch's defaults where they differ from dlm's (for the README table and `dlm` messages). */
  readonly torch?: Readonly<Record<string, number>>;
  /** Other names a setting may be given by (PyTorch's `alpha` for RMSprop's ρ). */
  readonly aliases?: Readonly<Record<string, string>>;
  /** Names of per-parameter state tensors (same shape as the parameter). */
  readonly slots: readonly string[];
  /** A slot's starting value when it is not 0 (Adagrad's initial_accumulator_value). */
  slotInit?(hp: Readonly<Record<string, number>>): Readonly<Record<string, number>>;
  update(c: OptimizerContext, p: Value, g: Value, slots: readonly Value[]): { p: Value; slots: Value[] };
}

const ops = (b: IrBuilder) => ({
  add: (x: Value, y: Value) => b.op('add', [x, y]),
  sub: (x: Value, y: Value) => b.op('sub', [x, y]),
  mul: (x: Value, y: Value) => b.op('mul', [x, y]),
  div: (x: Value, y: Value) => b.op('div', [x, y]),
  sqrt: (x: Value) => b.op('sqrt', [x]),
  max: (x: Value, y: Value) => b.op('maximum', [x, y]),
  k: (v: number) => b.num(v),
});

/** Moving average: β·s + (1−β)·x */
const ema = (b: IrBuilder, beta: number, s: Value, x: Value): Value => {
  const o = ops(b);
  return o.add(o.mul(o.k(beta), s), o.mul(o.k(1 - beta), x));
};

/** L2 penalty folded into the gradient (PyTorch's `weight_decay` everywhere but AdamW): g + λθ */
const coupledDecay = (b: IrBuilder, hp: Readonly<Record<string, number>>, p: Value, g: Value): Value =>
  hp['weight_decay'] ? b.op('add', [g, b.op('mul', [b.num(hp['weight_decay']), p])]) : g;

/** The denominator √s + ε (PyTorch, Keras), or √(s + ε) with eps_inside = 1 (TensorFlow.js, dlm before 0.2). */
const rootPlusEps = (b: IrBuilder, hp: Readonly<Record<string, number>>, s: Value): Value => {
  const o = ops(b);
  return hp['eps_inside'] ? o.sqrt(o.add(s, o.k(hp['eps']!))) : o.add(o.sqrt(s), o.k(hp['eps']!));
};

export const OPTIMIZERS: Readonly<Record<string, OptimizerRule>> = {
  sgd: {
    doc: 'g ← g + λθ; with momentum μ: b ← g at t = 1, else μb + (1−τ)g; Nesterov: g ← g + μb, else g ← b; θ ← θ − ηg',
    defaults: { lr: 0.01, momentum: 0, dampening: 0, nesterov: 0, weight_decay: 0 },
    slots: ['velocity'],
    update: ({ b, lr, t, hp }, p, g0, [v]) => {
      const o = ops(b);
      const g = coupledDecay(b, hp, p, g0);
      const mu = hp['momentum']!;
      if (!mu) return { p: o.sub(p, o.mul(lr, g)), slots: [v!] };
      const tau = hp['dampening'] ?? 0;
      let v2 = o.add(o.mul(o.k(mu), v!), tau ? o.mul(o.k(1 - tau), g) : g);
      // PyTorch starts the buffer at g itself (undamped): add τ·g on the first step, first = max(0, 2 − t).
      if (tau) v2 = o.add(v2, o.mul(o.mul(o.k(tau), o.max(o.k(0), o.sub(o.k(2), t))), g));
      const step = hp['nesterov'] ? o.add(g, o.mul(o.k(mu), v2)) : v2;
      return { p: o.sub(p, o.mul(lr, step)), slots: [v2] };
    },
  },
  adagrad: {
    doc: 'g ← g + λθ; G ← G + g² (G₀ = initial_accumulator_value); θ ← θ − η/(1 + (t−1)·lr_decay) · g/(√G + ε)',
    defaults: { lr: 0.01, lr_decay: 0, weight_decay: 0, initial_accumulator_value: 0, eps: 1e-10, eps_inside: 0 },
    slots: ['sum_sq'],
    slotInit: (hp) => ({ sum_sq: hp['initial_accumulator_value'] ?? 0 }),
    update: ({ b, lr, t, hp }, p, g0, [G]) => {
      const o = ops(b);
      const g = coupledDecay(b, hp, p, g0);
      const G2 = o.add(G!, o.mul(g, g));
      const clr = hp['lr_decay'] ? o.div(lr, o.add(o.k(1), o.mul(o.sub(t, o.k(1)), o.k(hp['lr_decay'])))) : lr;
      return { p: o.sub(p, o.div(o.mul(clr, g), rootPlusEps(b, hp, G2))), slots: [G2] };
    },
  },
  rmsprop: {
    doc: 'g ← g + λθ; v ← ρv + (1−ρ)g²; centered: ḡ ← ρḡ + (1−ρ)g, v̄ = v − ḡ²; d = g/(√v̄ + ε); ' + 'with momentum μ: b ← μb + d, θ ← θ − ηb, else θ ← θ − ηd',
    defaults: { lr: 0.001, rho: 0.9, eps: 1e-8, weight_decay: 0, momentum: 0, centered: 0, eps_inside: 0 },
    torch: { lr: 0.01, rho: 0.99 },
    aliases: { alpha: 'rho' },
    slots: ['mean_sq', 'mean_grad', 'momentum_buffer'],
    update: ({ b, lr, hp }, p, g0, [s, gbar, buf]) => {
      const o = ops(b);
      const g = coupledDecay(b, hp, p, g0);
      const s2 = ema(b, hp['rho']!, s!, o.mul(g, g));
      const gbar2 = hp['centered'] ? ema(b, hp['rho']!, gbar!, g) : gbar!;
      const d = o.div(g, rootPlusEps(b, hp, hp['centered'] ? o.sub(s2, o.mul(gbar2, gbar2)) : s2));
      if (!hp['momentum']) return { p: o.sub(p, o.mul(lr, d)), slots: [s2, gbar2, buf!] };
      const buf2 = o.add(o.mul(o.k(hp['momentum']), buf!), d);
      return { p: o.sub(p, o.mul(lr, buf2)), slots: [s2, gbar2, buf2] };
    },
  },
  adadelta: {
    doc: 'g ← g + λθ; v ← ρv + (1−ρ)g²; Δ = √(u + ε)/√(v + ε)·g; u ← ρu + (1−ρ)Δ²; θ ← θ − ηΔ',
    defaults: { lr: 1.0, rho: 0.9, eps: 1e-6, weight_decay: 0 },
    slots: ['mean_sq', 'mean_sq_delta'],
    update: ({ b, lr, hp }, p, g0, [eg, ed]) => {
      const o = ops(b);
      const g = coupledDecay(b, hp, p, g0);
      const eps = o.k(hp['eps']!);
      const eg2 = ema(b, hp['rho']!, eg!, o.mul(g, g));
      const delta = o.mul(o.div(o.sqrt(o.add(ed!, eps)), o.sqrt(o.add(eg2, eps))), g);
      const ed2 = ema(b, hp['rho']!, ed!, o.mul(delta, delta));
      return { p: o.sub(p, o.mul(lr, delta)), slots: [eg2, ed2] };
    },
  },
  adam: {
    doc: 'g ← g + λθ; m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; amsgrad: v̂ₘ ← max(v̂ₘ, v); ' + 'θ ← θ − η·(m/(1−β₁ᵗ))/(√(v/(1−β₂ᵗ)) + ε)',
    defaults: { lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0, amsgrad: 0 },
    slots: ['m', 'v', 'v_max'],
    update: (c, p, g, slots) => adamUpdate(c, p, g, slots, false),
  },
  adamw: {
    doc: 'Adam with decoupled weight decay: θ ← θ − ηλθ, then the Adam step without λ in g',
    defaults: { lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.01, amsgrad: 0 },
    slots: ['m', 'v', 'v_max'],
    update: (c, p, g, slots) => adamUpdate(c, p, g, slots, true),
  },
};

const adamUpdate = ({ b, lr, t, hp }: OptimizerContext, p: Value, g0: Value, [m, v, vmax]: readonly Value[], decoupled: boolean) => {
  const o = ops(b);
  const g = decoupled ? g0 : coupledDecay(b, hp, p, g0);
  const m2 = ema(b, hp['beta1']!, m!, g);
  const v2 = ema(b, hp['beta2']!, v!, o.mul(g, g));
  const vmax2 = hp['amsgrad'] ? o.max(vmax!, v2) : vmax!;
  // Bias corrections are scalars: 1 − βᵗ, computed once per step.
  const c1 = o.sub(o.k(1), b.op('pow', [o.k(hp['beta1']!), t]));
  const c2 = o.sub(o.k(1), b.op('pow', [o.k(hp['beta2']!), t]));
  let step = o.div(o.div(m2, c1), o.add(o.sqrt(o.div(hp['amsgrad'] ? vmax2 : v2, c2)), o.k(hp['eps']!)));
  if (decoupled && hp['weight_decay']) step = o.add(step, o.mul(o.k(hp['weight_decay']), p));
  return { p: o.sub(p, o.mul(lr, step)), slots: [m2, v2, vmax2] };
};

/** Settings that are switches: 0 or 1 only. */
export const BOOLEAN_SETTINGS: ReadonlySet<string> = new Set(['nesterov', 'amsgrad', 'centered', 'eps_inside']);
