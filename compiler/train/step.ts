// Builds the training step of a model as ONE IR function: forward, reverse-mode gradient of the loss
// with respect to every parameter, optional clipping, and the optimizer update. Parameters and optimizer
// state are inputs that the step updates in place (IrFunction.updates).
import { didYouMean } from '../diagnostics/suggest.js';
import { gradientsReading } from '../autodiff/grad.js';
import type { LossGroup, ModelIR } from '../check/model.js';
import { error, note } from '../diagnostics/codes.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { IrBuilder } from '../ir/builder.js';
import { INPUT, neededFrom, type IrFunction, type Output, type Update } from '../ir/ir.js';
import type { Value } from '../ops/op.js';
import { BOOLEAN_SETTINGS, OPTIMIZERS, type OptimizerRule } from './optimizers.js';
import type { Span } from '../diagnostics/span.js';
import { dimNames } from '../types/dims.js';

export const HYPER_LR = '@lr';
export const HYPER_STEP = '@t';
/** Step outputs ('@': never a user's output name): ‖g‖ of the raw gradients (the guard), and with clip_value and clip_norm ‖g‖ after value clipping. */
export const GRAD_NORM = '@grad_norm';
export const GRAD_GUARD = '@grad_guard';

export interface TrainConfig {
  readonly optimizer: string;
  /** Optimizer settings (lr, momentum, beta1, …); missing ones take the optimizer's defaults. */
  readonly hyper?: Readonly<Record<string, number>>;
  /** Clip gradients to this global L2 norm: g ← g·c/‖g‖ when ‖g‖ > c. */
  readonly clipNorm?: number;
  /** Clip every gradient element to [−c, c]. */
  readonly clipValue?: number;
  /**
   * Parameter groups (PyTorch's param_groups): the named parameters take these settings over `hyper`;
   * a later group wins where two select a parameter. A group's lr is scaled by schedules like the base lr.
   */
  readonly groups?: readonly ParamGroup[];
}
export interface ParamGroup {
  readonly params: readonly string[];
  readonly hyper: Readonly<Record<string, number>>;
}

export interface TrainStep {
  readonly fn: IrFunction;
  /** State tensors in input order: `${param}.${slot}`, with the value each starts at. */
  readonly slots: readonly { readonly name: string; readonly param: string; readonly slot: string; readonly init: number }[];
  readonly hyper: Readonly<Record<string, number>>;
}

/** The optimizer of a loss group: its own `with …`, else the model's, else SGD; flags override. */
export const resolveOptimizer = (m: ModelIR, cfg: Partial<TrainConfig>, group?: LossGroup): { config: TrainConfig } | { errors: Diagnostic[] } => {
  const declared = group?.optimizer ?? m.optimizer;
  const name = cfg.optimizer ?? declared?.name ?? 'sgd';
  const rule = Object.hasOwn(OPTIMIZERS, name) ? OPTIMIZERS[name] : undefined;
  const span = declared?.span ?? m.span;
  if (!rule)
    return {
      errors: [
        error('E0110', span, `unknown optimizer '${name}'`, [
          ...didYouMean(name, Object.keys(OPTIMIZERS)),
          note(`known optimizers: ${Object.keys(OPTIMIZERS).join(', ')}`),
        ]),
      ],
    };
  const keepDeclared = !(cfg.optimizer && cfg.optimizer !== declared?.name);
  const given = { ...(keepDeclared ? (declared?.args ?? {}) : {}), ...(cfg.hyper ?? {}) };
  const checked = checkSettings(name, rule, given, span);
  if ('errors' in checked) return checked;
  // The declared groups belong to the declared optimizer; the library's own groups come after them.
  const groups: ParamGroup[] = [];
  const errors: Diagnostic[] = [];
  const all = [
    ...(keepDeclared ? (declared?.groups ?? []) : []).map((g) => ({ params: g.params, hyper: g.args, span: g.span })),
    ...(cfg.groups ?? []).map((g) => ({ ...g, span })),
  ];
  for (const g of all) {
    const unknown = g.params.find((p) => !m.params.some((q) => q.name === p));
    if (unknown !== undefined) {
      errors.push(error('E0221', g.span, `a parameter group names '${unknown}', which is not a parameter of ${m.name}`));
      continue;
    }
    const r = checkSettings(name, rule, g.hyper, g.span);
    if ('errors' in r) {
      errors.push(...r.errors);
      continue;
    }
    const canon = (k: string) => (rule.aliases && Object.hasOwn(rule.aliases, k) ? rule.aliases[k]! : k);
    groups.push({ params: g.params, hyper: Object.fromEntries(Object.keys(g.hyper).map((k) => [canon(k), r.hyper[canon(k)]!])) });
  }
  if (errors.length) return { errors };
  return { config: { ...cfg, optimizer: name, hyper: checked.hyper, ...(groups.length ? { groups } : {}) } };
};

/**
 * An optimizer's settings over its defaults: PyTorch's names accepted as aliases (RMSprop's alpha for
 * ρ), unknown names refused (E0110), values PyTorch's constructors would refuse refused too (E0220).
 */
export const checkSettings = (
  name: string,
  rule: OptimizerRule,
  given: Readonly<Record<string, number>>,
  span: Span | null,
): { hyper: Record<string, number> } | { errors: Diagnostic[] } => {
  const hyper: Record<string, number> = { ...rule.defaults };
  const errors: Diagnostic[] = [];
  for (const [k0, v] of Object.entries(given)) {
    const k = rule.aliases && Object.hasOwn(rule.aliases, k0) ? rule.aliases[k0]! : k0;
    if (!Object.hasOwn(rule.defaults, k)) {
      errors.push(
        error('E0110', span, `${name} has no setting '${k0}'`, [
          ...didYouMean(k0, Object.keys(rule.defaults)),
          note(`${name} takes ${Object.keys(rule.defaults).join(', ')}`),
        ]),
      );
      continue;
    }
    const bad = settingProblem(k, v);
    if (bad) errors.push(error('E0220', span, `${name}: '${k0}' ${bad}, got ${v}`));
    hyper[k] = v;
  }
  if (name === 'sgd' && hyper['nesterov'] && !(hyper['momentum']! > 0 && hyper['dampening'] === 0)) {
    errors.push(error('E0220', span, 'sgd: Nesterov momentum needs momentum > 0 and dampening = 0', [note('as torch.optim.SGD requires')]));
  }
  return errors.length ? { errors } : { hyper };
};

const settingProblem = (k: string, v: number): string | undefined => {
  if (!Number.isFinite(v)) return 'must be a finite number';
  if (BOOLEAN_SETTINGS.has(k)) return v === 0 || v === 1 ? undefined : 'is a switch: true or false (1 or 0)';
  if (k === 'beta1' || k === 'beta2' || k === 'rho') return v >= 0 && v < 1 ? undefined : 'must be in [0, 1)';
  if (k === 'dampening') return v >= 0 && v <= 1 ? undefined : 'must be in [0, 1]';
  return v >= 0 ? undefined : 'must not be negative';
};

/** The step of one loss group (the model's only loss unless it names several): only its parameters change. */
export const buildTrainStep = (m: ModelIR, cfg: TrainConfig, group: LossGroup = m.losses[0]!, keep?: readonly string[]): TrainStep => {
  const rule = OPTIMIZERS[cfg.optimizer]!;
  const b = new IrBuilder(m.fn.nodes);
  const loss = { name: 'loss', id: group.id };
  const trained = m.params.filter((p) => group.params.includes(p.id));
  const prefix = m.losses.length > 1 ? `${group.name}/` : '';
  const params = trained.map((p) => p.id);
  // Only what training reads (`keep`: the logged scalars and the output scored for accuracy): an output
  // the loss does not need, such as a sampler, is computed by eval/predict/run, not in every step.
  const read = m.fn.outputs.filter((o) => o.name !== 'loss' && (!keep || keep.includes(o.name)));
  const g = gradientsReading(
    b,
    loss.id,
    params,
    read.map((o) => o.id),
  );
  let grads: Value[] = g.grads;
  const outputs: Output[] = [...read.map((o, i) => ({ ...o, id: g.reads[i]! })), loss];
  b.at(m.span, () => {
    // ‖g‖ = √Σ_p Σ g_p², computed every step: the guard checks it (a NaN or ±Inf anywhere in any
    // gradient makes it non-finite) before any parameter or optimizer state is written.
    const normOf = (gs: Value[]) =>
      b.op('sqrt', [
        gs.map((g) => b.op('sum', [b.op('mul', [g, g])], { axes: [...b.type(g).shape.keys()], keepdims: false })).reduce((acc, s) => b.op('add', [acc, s])),
      ]);
    if (grads.length) outputs.push({ name: GRAD_GUARD, id: normOf(grads) });
    if (cfg.clipValue !== undefined) {
      const c = cfg.clipValue;
      grads = grads.map((g) => b.op('minimum', [b.op('maximum', [g, b.num(-c)]), b.num(c)]));
    }
    if (cfg.clipNorm !== undefined && grads.length) {
      // g ← g · min(1, c/‖g‖)
      // the norm of the value-clipped gradients when clip_value clipped them first
      const norm = cfg.clipValue === undefined ? outputs.find((o) => o.name === GRAD_GUARD)!.id : normOf(grads);
      if (cfg.clipValue !== undefined) outputs.push({ name: GRAD_NORM, id: norm });
      const scale = b.op('minimum', [b.num(1), b.op('div', [b.num(cfg.clipNorm), b.op('maximum', [norm, b.num(1e-12)])])]);
      grads = grads.map((g) => b.op('mul', [g, scale]));
    }
  });
  // '@' cannot occur in a user's names, so these never collide with a model's inputs or parameters.
  const lr = b.input(HYPER_LR, 'hyper', { dtype: 'f32', shape: [] }, m.span);
  const t = b.input(HYPER_STEP, 'hyper', { dtype: 'f32', shape: [] }, m.span);
  const slots: (TrainStep['slots'][number] & { id: Value })[] = [];
  const updates: Update[] = [];
  const base = cfg.hyper ?? {};
  trained.forEach((p, i) => {
    const hp = { ...base };
    for (const g of cfg.groups ?? []) if (g.params.includes(p.name)) Object.assign(hp, g.hyper);
    const init = rule.slotInit?.(hp) ?? {};
    const slotIds = rule.slots.map((s) => {
      const id = b.input(`${prefix}${p.name}.${s}`, 'state', p.type, p.span);
      slots.push({ name: `${prefix}${p.name}.${s}`, param: p.name, slot: s, init: Object.hasOwn(init, s) ? init[s]! : 0, id });
      return id;
    });
    // A group's own lr: the run-time rate (schedules) times its ratio to the base rate.
    const plr = hp['lr'] === base['lr'] ? lr : base['lr'] ? b.at(p.span, () => b.op('mul', [lr, b.num(hp['lr']! / base['lr']!)])) : b.num(hp['lr']!);
    const r = b.at(p.span, () => rule.update({ b, lr: plr, t, hp }, p.id, grads[i]!, slotIds));
    updates.push({ target: p.id, value: r.p });
    r.slots.forEach((v, k) => {
      if (v !== slotIds[k]) updates.push({ target: slotIds[k]!, value: v });
    });
  });
  // state (batch-norm statistics) takes the values the forward pass computed for it
  for (const u of m.stateUpdates) updates.push(u);
  // A slot these settings never use (SGD's velocity without momentum) is not an input, so it takes no memory.
  const fn = b.finish(`${m.name}_${group.name}_step`, outputs, updates);
  const used = new Set([...fn.nodes.flatMap((n) => n.inputs), ...updates.map((u) => u.target)]);
  const unused = new Set(slots.filter((s) => !used.has(s.id)).map((s) => s.id));
  return {
    fn: { ...fn, nodes: fn.nodes.filter((n) => !unused.has(n.id)), guards: grads.length ? ['loss', GRAD_GUARD] : ['loss'] },
    slots: slots.filter((s) => !unused.has(s.id)).map(({ id: _id, ...s }) => s),
    hyper: cfg.hyper ?? {},
  };
};

/**
 * The forward program restricted to some outputs, without inputs they do not need (e.g. targets). An
 * input (not a target) stays when a kept node's shape mentions one of its symbolic dims (`randn_like(x)`
 * reads only x's shape, and x is what tells N).
 */
export const selectOutputs = (f: IrFunction, names: readonly string[]): IrFunction => {
  const outputs = f.outputs.filter((o) => names.includes(o.name));
  const needed = neededFrom(
    f,
    outputs.map((o) => o.id),
  );
  const dims = new Set(f.nodes.filter((n) => needed.has(n.id)).flatMap((n) => n.type.shape.flatMap(dimNames)));
  const keep = (n: IrFunction['nodes'][number]) =>
    needed.has(n.id) ||
    (n.op === INPUT && (n.attrs['role'] === 'param' || (n.attrs['role'] === 'input' && n.type.shape.some((d) => dimNames(d).some((x) => dims.has(x))))));
  return { ...f, nodes: f.nodes.filter(keep), outputs, updates: [] };
};
