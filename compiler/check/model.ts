// Layers and models: instantiating a layer declares its parameters (with initializers) under a path
// like `l1.W`, binds its sub-layers and functions; a model adds inputs, targets, outputs and a loss.
import { didYouMean } from '../diagnostics/suggest.js';
import type { Expr, LayerDecl, ModelDecl, OptimizerGroup, ParamDecl, StateDecl, TrainDecl } from '../ast/ast.js';
import { note } from '../diagnostics/codes.js';
import type { Span } from '../diagnostics/span.js';
import type { IrFunction, InputRole } from '../ir/ir.js';
import { fmtType, type TensorType } from '../types/types.js';
import type { Elab, LayerInfo, ParamInfo, ShapeNote } from './elab.js';
import { INITIALIZERS } from './initializers.js';
import type { ExprElab } from './expr.js';
import { ERROR, describe, type Binding, type Scope } from './scope.js';
import { OPTIMIZERS } from '../train/optimizers.js';
import { setOwn } from '../../runtime/tensor.js';

/** Settings of a model's `train { … }` block and the kind of value each takes. */
export const TRAIN_SETTINGS: Readonly<Record<string, 'count' | 'int' | 'positive' | 'fraction' | 'name'>> = {
  epochs: 'count',
  batch: 'count',
  lr: 'positive',
  schedule: 'name',
  warmup: 'int',
  early_stopping: 'count',
  clip_norm: 'positive',
  clip_value: 'positive',
  val_fraction: 'fraction',
  seed: 'int',
  augment_shift: 'int',
  data: 'name',
};
export interface TrainSpec {
  readonly settings: Readonly<Record<string, number | string>>;
  readonly span: Span;
}

/** A loss and the parameters it trains (all of them unless the loss says `trains …`). */
export interface LossGroup {
  readonly name: string;
  readonly id: number;
  readonly params: readonly number[];
  readonly span: Span;
  readonly optimizer?: OptimizerSpec;
}

export interface OptimizerSpec {
  readonly name: string;
  readonly args: Readonly<Record<string, number>>;
  readonly span: Span;
  /** Parameter groups in order (a later group's settings win for a parameter two groups select). */
  readonly groups?: readonly ParamGroupSpec[];
}
export interface ParamGroupSpec {
  readonly params: readonly string[];
  readonly args: Readonly<Record<string, number>>;
  readonly span: Span;
}

/** Selectors a parameter group may name besides layers and parameters (a model's own names shadow them). */
export const GROUP_SELECTORS: Readonly<Record<string, string>> = {
  biases: 'every rank-1 parameter outside normalization layers (the bias vectors)',
  norms: 'every parameter of a normalization layer (a layer whose name contains Norm: LayerNorm, BatchNorm2d, …)',
  weights: 'every parameter of rank 2 or more (matrices, filters, embeddings)',
};
export interface ModelIR {
  readonly name: string;
  readonly span: Span;
  /** Forward program: inputs, targets and parameters → outputs, plus `loss` when the model declares one. */
  readonly fn: IrFunction;
  readonly params: readonly ParamInfo[];
  /** `state` tensors and the training step's updates of them (target input id ← value id). */
  readonly states: readonly ParamInfo[];
  readonly stateUpdates: readonly { readonly target: number; readonly value: number }[];
  readonly inputs: readonly { readonly name: string; readonly role: InputRole; readonly type: TensorType; readonly span: Span }[];
  readonly outputs: readonly string[];
  readonly hasLoss: boolean;
  /** One group per loss; a training step runs each in declaration order. */
  readonly losses: readonly LossGroup[];
  readonly optimizer?: OptimizerSpec;
  readonly train?: TrainSpec;
  readonly shapes: readonly ShapeNote[];
  /** Layer instances with their types and output types (for `dlm summary`). */
  readonly layers: readonly LayerInfo[];
}

export class ModelElab {
  constructor(
    readonly c: Elab,
    readonly x: ExprElab,
  ) {}
  /** The declaration name of the layer each parameter belongs to (for the `norms` group selector). */
  private readonly paramLayer = new Map<number, string>();
  private readonly layerStack: string[] = [];

  param(p: ParamDecl | StateDecl, scope: Scope, path: string): void {
    const isState = p.kind === 'State';
    const dims = this.c.dims(p.type, scope, false);
    const unknown =
      p.init.kind === 'Name' && !scope.lookup(p.init.name)
        ? p.init
        : p.init.kind === 'Call' && p.init.callee.kind === 'Name' && !scope.lookup(p.init.callee.name)
          ? p.init.callee
          : undefined;
    if (unknown && unknown.kind === 'Name') {
      this.c.err('E0109', unknown.span, `unknown initializer '${unknown.name}'`, [
        ...didYouMean(unknown.name, INITIALIZERS),
        note(`initializers: ${INITIALIZERS.join(', ')}`),
      ]);
      scope.define(p.name.name, ERROR, p.name.span);
      return;
    }
    const init = this.x.expr(p.init, scope);
    if (init.k !== 'init' && init.k !== 'error')
      this.c.err('E0109', p.init.span, `a parameter's initializer must be an initializer such as zeros or glorot_uniform, found ${describe(init)}`);
    if (!dims) {
      scope.define(p.name.name, ERROR, p.name.span);
      return;
    }
    const sym = dims.find((d) => typeof d !== 'number');
    if (sym !== undefined) {
      this.c.err('E0207', p.type.span, `parameter '${p.name.name}' must have a fixed shape, but dimension ${sym} is symbolic`, [
        note('parameters are created once, before any input is seen'),
      ]);
      scope.define(p.name.name, ERROR, p.name.span);
      return;
    }
    const type: TensorType = { dtype: p.type.dtype, shape: dims };
    const name = path ? `${path}.${p.name.name}` : p.name.name;
    const id = this.c.b.input(name, isState ? 'state' : 'param', type, p.name.span);
    const owner = this.layerStack.at(-1);
    if (owner !== undefined) this.paramLayer.set(id, owner);
    (isState ? this.c.states : this.c.params).push({ name, id, type, init: init.k === 'init' ? init.spec : { name: 'zeros', args: {} }, span: p.span });
    scope.define(p.name.name, { k: 'tensor', id }, p.name.span);
  }

  /** `Dense(784, 16)` → a layer instance whose parameters live under `path`. */
  instantiate = (ctor: Expr, scope: Scope, path: string): Binding => {
    if (ctor.kind !== 'Call')
      return this.c.err(
        'E0105',
        ctor.span,
        `expected a layer constructor call such as Dense(784, 16), found ${ctor.kind === 'Name' ? `'${ctor.name}'` : 'an expression'}`,
      );
    const callee = this.x.expr(ctor.callee, scope);
    if (callee.k === 'error') return ERROR;
    if (callee.k !== 'layerDef') return this.c.err('E0105', ctor.callee.span, `${describe(callee)} is not a layer definition`);
    const args = this.x.args(ctor.args, scope);
    const decl: LayerDecl = callee.decl;
    const inner = callee.scope.child();
    if (args.pos.length > decl.params.length)
      return this.c.err('E0104', ctor.span, `layer ${decl.name.name} takes ${decl.params.length} arguments, got ${args.pos.length}`, [
        note('defined here', decl.name.span),
      ]);
    for (const k of args.kw.keys())
      if (!decl.params.some((p) => p.name.name === k))
        return this.c.err(
          'E0104',
          args.kw.get(k)!.span,
          `layer ${decl.name.name} has no parameter '${k}'`,
          didYouMean(
            k,
            decl.params.map((p) => p.name.name),
          ),
        );
    if (this.c.stack.some((f) => f.key === decl)) {
      return this.c.err('E0106', ctor.span, `layer '${decl.name.name}' instantiates itself; a layer cannot contain itself`, [
        note(`'${decl.name.name}' is defined here`, decl.name.span),
      ]);
    }
    const info: LayerInfo = { path, kind: decl.name.name, span: ctor.span, outputs: [], args: Object.create(null) as Record<string, number> };
    this.c.layers.push(info);
    this.c.enter({ name: `${decl.name.name}(…) for '${path}'`, span: ctor.span, key: decl }, decl);
    this.layerStack.push(decl.name.name);
    try {
      for (let i = 0; i < decl.params.length; i++) {
        const p = decl.params[i]!;
        const given = args.pos[i] ?? args.kw.get(p.name.name);
        const v = given
          ? given.v
          : p.default
            ? this.x.expr(p.default, inner)
            : this.c.err('E0104', ctor.span, `layer ${decl.name.name} is missing argument '${p.name.name}'`, [note('declared here', p.span)]);
        inner.define(p.name.name, v, p.name.span);
      }
      for (const p of decl.params) {
        const v = inner.own(p.name.name)?.binding;
        if (v?.k === 'static' && typeof v.value === 'number') setOwn(info.args, p.name.name, v.value);
      }
      this.members(decl.members, inner, path);
    } finally {
      this.layerStack.pop();
      this.c.stack.pop();
    }
    return { k: 'layer', path, scope: inner, decl };
  };

  members(ms: LayerDecl['members'] | ModelDecl['members'], scope: Scope, path: string): void {
    for (const m of ms) {
      const named = m.kind === 'Loss' || m.kind === 'Optimizer' || m.kind === 'Train' ? undefined : m.name;
      const dup = named ? scope.own(named.name) : undefined;
      if (named && dup?.span) this.c.err('E0102', named.span, `'${named.name}' is already defined in this scope`, [note('first defined here', dup.span)]);
      switch (m.kind) {
        case 'Param':
        case 'State':
          this.param(m, scope, path);
          break;
        case 'SubLayer':
          scope.define(m.name.name, this.instantiate(m.ctor, scope, path ? `${path}.${m.name.name}` : m.name.name), m.name.span);
          break;
        case 'Fn':
          scope.define(m.name.name, { k: 'fn', decl: m, scope }, m.name.span);
          break;
        case 'Let': {
          const v = this.x.expr(m.value, scope);
          if (v.k === 'tensor') this.c.b.label(v.id, m.name.name);
          this.c.recordShape(m.name.span, m.name.name, v);
          scope.define(m.name.name, v, m.name.span);
          break;
        }
        default:
          break; // model-only members are handled by model()
      }
    }
  }

  model(decl: ModelDecl, moduleScope: Scope): ModelIR {
    const scope = moduleScope.child();
    const inputs: ModelIR['inputs'][number][] = [];
    const outputs: { name: string; id: number }[] = [];
    const losses: LossGroup[] = [];
    let optimizer: OptimizerSpec | undefined;
    let train: TrainSpec | undefined;
    for (const m of decl.members) {
      switch (m.kind) {
        case 'Input': {
          const dims = this.c.dims(m.type, scope, true);
          if (!dims) {
            scope.define(m.name.name, ERROR, m.name.span);
            break;
          }
          const type: TensorType = { dtype: m.type.dtype, shape: dims };
          inputs.push({ name: m.name.name, role: m.role, type, span: m.name.span });
          scope.define(m.name.name, { k: 'tensor', id: this.c.b.input(m.name.name, m.role, type, m.name.span) }, m.name.span);
          break;
        }
        case 'Output': {
          const v = this.x.expr(m.value, scope);
          const id = v.k === 'error' ? undefined : this.c.tensor(v, m.value.span);
          if (id === undefined) {
            scope.define(m.name.name, ERROR, m.name.span);
            break;
          }
          this.c.b.label(id, m.name.name);
          this.c.recordShape(m.name.span, m.name.name, { k: 'tensor', id });
          outputs.push({ name: m.name.name, id });
          scope.define(m.name.name, { k: 'tensor', id }, m.name.span);
          break;
        }
        case 'Loss': {
          const v = this.x.expr(m.value, scope);
          const id = v.k === 'error' ? undefined : this.c.tensor(v, m.value.span);
          if (id === undefined) break;
          const t = this.c.type(id);
          if (t.shape.length !== 0 || t.dtype !== 'f32') {
            this.c.err('E0208', m.value.span, `the loss must be a scalar f32, but this is ${fmtType(t)}`, [note('reduce it with mean(...) or sum(...)')]);
            break;
          }
          const name = m.name?.name ?? 'loss';
          if (losses.some((l) => l.name === name)) {
            this.c.err('E0102', m.name?.span ?? m.span, `a second loss named '${name}'`, [note('name each loss: loss d_loss = … trains disc')]);
            break;
          }
          const params = m.trains ? this.trainedParams(m.trains, scope) : this.c.params.map((p) => p.id);
          const groupOptimizer = m.optimizer ? this.optimizer(m.optimizer, scope, m.optimizerGroups) : undefined;
          if (params) losses.push({ name, id, params, span: m.span, ...(groupOptimizer ? { optimizer: groupOptimizer } : {}) });
          if (m.name) {
            this.c.b.label(id, name);
            scope.define(name, { k: 'tensor', id }, m.name.span);
          }
          break;
        }
        case 'Optimizer':
          optimizer = this.optimizer(m.value, scope, m.groups);
          break;
        case 'Train':
          train = this.train(m, scope);
          break;
        default:
          this.members([m], scope, '');
      }
    }
    // `loss` is the first loss (evaluation reports it); named losses are outputs under their names too.
    const first = losses[0];
    const fnOutputs = [
      ...outputs,
      ...(first ? [{ name: 'loss', id: first.id }] : []),
      ...losses.filter((l) => l.name !== 'loss').map((l) => ({ name: l.name, id: l.id })),
    ];
    return {
      name: decl.name.name,
      span: decl.span,
      fn: this.c.b.finish(decl.name.name, fnOutputs),
      params: [...this.c.params],
      states: [...this.c.states],
      stateUpdates: [...this.c.stateUpdates].map(([target, u]) => ({ target, value: u.value })),
      inputs,
      outputs: [...outputs.map((o) => o.name), ...(losses.length > 1 ? losses.map((l) => l.name) : [])],
      hasLoss: losses.length > 0,
      losses,
      shapes: [...this.c.shapes],
      layers: [...this.c.layers],
      ...(optimizer ? { optimizer } : {}),
      ...(train ? { train } : {}),
    };
  }

  /** The parameters a `trains` list names: every parameter of a layer, or a parameter itself. */
  trainedParams(exprs: readonly Expr[], scope: Scope): number[] | undefined {
    const ids: number[] = [];
    for (const e of exprs) {
      const v = this.x.expr(e, scope);
      if (v.k === 'layer') {
        for (const p of this.c.params) if (p.name.startsWith(`${v.path}.`)) ids.push(p.id);
      } else if (v.k === 'tensor' && this.c.params.some((p) => p.id === v.id)) ids.push(v.id);
      else if (v.k !== 'error') {
        this.c.err('E0105', e.span, `'trains' lists layers or parameters; this is ${describe(v)}`);
        return undefined;
      } else return undefined;
    }
    return [...new Set(ids)];
  }

  /** `train { … }`: each setting a compile-time number, or a name for the schedule. */
  train(t: TrainDecl, scope: Scope): TrainSpec {
    const settings: Record<string, number | string> = Object.create(null);
    for (const st of t.settings) {
      // repeat_<loss> = k: run that loss's step k times per round (k discriminator steps per generator step)
      const rule = st.name.name.startsWith('repeat_') ? 'int' : Object.hasOwn(TRAIN_SETTINGS, st.name.name) ? TRAIN_SETTINGS[st.name.name] : undefined;
      if (!rule) {
        this.c.err('E0111', st.name.span, `unknown train setting '${st.name.name}'`, [
          ...didYouMean(st.name.name, Object.keys(TRAIN_SETTINGS)),
          note(`settings: ${Object.keys(TRAIN_SETTINGS).join(', ')}`),
        ]);
        continue;
      }
      if (rule === 'name') {
        if (st.value.kind !== 'Name') {
          this.c.err('E0111', st.value.span, `'${st.name.name}' takes a name such as cosine`);
          continue;
        }
        setOwn(settings, st.name.name, st.value.name);
        continue;
      }
      const v = this.c.staticValue(this.x.expr(st.value, scope), st.value.span, `train setting '${st.name.name}'`);
      if (typeof v !== 'number') continue;
      const bad =
        (rule === 'int' && (!Number.isSafeInteger(v) || v < 0)) ||
        (rule === 'count' && (!Number.isSafeInteger(v) || v < 1)) ||
        (rule === 'positive' && !(v > 0 && Number.isFinite(v))) ||
        (rule === 'fraction' && !(v >= 0 && v < 1));
      if (bad) {
        const want = rule === 'int' ? 'a non-negative integer' : rule === 'count' ? 'an integer ≥ 1' : rule === 'positive' ? 'positive' : 'in [0, 1)';
        this.c.err('E0111', st.value.span, `'${st.name.name}' must be ${want}, got ${v}`);
        continue;
      }
      setOwn(settings, st.name.name, v);
    }
    return { settings, span: t.span };
  }

  optimizer(e: Expr, scope: Scope, groupDecls: readonly OptimizerGroup[] = []): OptimizerSpec | undefined {
    const call = e.kind === 'Call' ? e : undefined;
    const nameExpr = call ? call.callee : e;
    if (nameExpr.kind !== 'Name') {
      this.c.err('E0105', e.span, 'expected an optimizer such as sgd(lr = 0.1) or adam(lr = 1e-3)');
      return undefined;
    }
    const rule = Object.hasOwn(OPTIMIZERS, nameExpr.name) ? OPTIMIZERS[nameExpr.name]! : undefined;
    if (!rule) {
      this.c.err('E0110', nameExpr.span, `unknown optimizer '${nameExpr.name}'`, [
        ...didYouMean(nameExpr.name, Object.keys(OPTIMIZERS)),
        note(`known optimizers: ${Object.keys(OPTIMIZERS).join(', ')}`),
      ]);
      return undefined;
    }
    const args: Record<string, number> = Object.create(null);
    for (const a of call?.args ?? []) {
      if (!a.name) {
        this.c.err('E0104', a.span, 'optimizer settings are keyword arguments, e.g. adam(lr = 1e-3)');
        continue;
      }
      if (!Object.hasOwn(rule.defaults, a.name.name) && !(rule.aliases && Object.hasOwn(rule.aliases, a.name.name))) {
        this.c.err('E0110', a.name.span, `${nameExpr.name} has no setting '${a.name.name}'`, [
          ...didYouMean(a.name.name, Object.keys(rule.defaults)),
          note(`${nameExpr.name} takes ${Object.keys(rule.defaults).join(', ')}`),
        ]);
        continue;
      }
      const v = this.c.staticValue(this.x.expr(a.value, scope), a.value.span, `optimizer setting '${a.name.name}'`);
      if (typeof v === 'number') setOwn(args, a.name.name, v);
    }
    const groups = groupDecls.map((g) => this.paramGroup(g, scope));
    if (groups.some((g) => !g)) return undefined;
    return { name: nameExpr.name, args, span: e.span, ...(groups.length ? { groups: groups as ParamGroupSpec[] } : {}) };
  }

  /** `group(sel, …, setting = v, …)`: the parameters the selectors name, and the settings they take. */
  private paramGroup(g: OptimizerGroup, scope: Scope): ParamGroupSpec | undefined {
    const ids = new Set<number>();
    const args: Record<string, number> = Object.create(null);
    let ok = true;
    for (const a of g.args) {
      if (a.name) {
        const v = this.c.staticValue(this.x.expr(a.value, scope), a.value.span, `optimizer setting '${a.name.name}'`);
        if (typeof v === 'number') setOwn(args, a.name.name, v);
        else ok = false;
        continue;
      }
      const e = a.value;
      if (e.kind === 'Name' && !scope.lookup(e.name) && Object.hasOwn(GROUP_SELECTORS, e.name)) {
        for (const p of this.c.params) if (this.selects(e.name, p)) ids.add(p.id);
        continue;
      }
      const got = this.trainedParams([e], scope);
      if (!got) {
        ok = false;
        continue;
      }
      got.forEach((id) => {
        ids.add(id);
      });
    }
    if (!ok) return undefined;
    const selectors = Object.keys(GROUP_SELECTORS).map((k) => `${k}: ${GROUP_SELECTORS[k]}`);
    if (!g.args.some((a) => !a.name)) {
      this.c.err(
        'E0104',
        g.span,
        'a parameter group names the parameters it is for, e.g. group(biases, norms, weight_decay = 0)',
        selectors.map((n) => note(n)),
      );
      return undefined;
    }
    if (ids.size === 0) {
      this.c.err('E0221', g.span, 'this parameter group selects no parameters');
      return undefined;
    }
    return { params: this.c.params.filter((p) => ids.has(p.id)).map((p) => p.name), args, span: g.span };
  }

  private selects(selector: string, p: ParamInfo): boolean {
    const inNorm = /Norm/.test(this.paramLayer.get(p.id) ?? '');
    switch (selector) {
      case 'biases':
        return p.type.shape.length === 1 && !inNorm;
      case 'norms':
        return inNorm;
      default:
        return p.type.shape.length >= 2;
    }
  }
}
