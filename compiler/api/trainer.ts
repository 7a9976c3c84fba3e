// Compiled training: one generated step does forward, backward and the optimizer update for every
// parameter. The trainer owns the optimizer state and feeds batches without allocating per step.
import { setOwn } from '../../runtime/tensor.js';
import type { FloatArray, Tensor, TensorData } from '../../runtime/tensor.js';
import { error, note } from '../diagnostics/codes.js';
import type { IrFunction } from '../ir/ir.js';
import { bindInputs, optimize, specialize, trainStepProgram, type Specialized } from '../pipeline.js';
import type { Precision } from '../../runtime/compiled.js';
import { HYPER_LR, HYPER_STEP, resolveOptimizer, type TrainConfig, type TrainStep } from '../train/step.js';
import { RunError } from './errors.js';
import { trainingOutputs } from './metrics.js';
import { nonFinite } from './nonFinite.js';
import { RANDOM_KEY, TRAINING_FLAG } from '../check/hypers.js';
import type { Model } from './model.js';

export interface StepResult {
  /** The (first) loss before this step's update. */
  readonly loss: number;
  /** With several losses: each one's value, by name. */
  readonly losses?: Readonly<Record<string, number>>;
  /** The model's outputs for this batch (arena views: valid until the next step). */
  readonly outputs: Readonly<Record<string, FloatArray>>;
}

/** One loss group's compiled step and its cache of specializations per batch shape. */
interface GroupStep {
  readonly name: string;
  readonly config: TrainConfig;
  readonly program: TrainStep;
  readonly optimized: IrFunction;
  readonly repeat: number;
  last?: Prepared;
}

interface Prepared {
  readonly spec: Specialized;
  readonly ins: TensorData[];
  readonly slotOf: Map<string, number>;
  readonly shapeList: { name: string; shape: number[] }[];
  /** Inputs held by the model or the trainer (parameters, states, optimizer slots): re-read every step. */
  readonly owned: { readonly input: number; readonly table: Record<string, FloatArray>; readonly name: string }[];
}

export class Trainer {
  readonly config: TrainConfig;
  /** The step of the first (usually only) loss; see `groups` for models with several losses. */
  readonly program: TrainStep;
  /** Optimizer state per slot name (`l1.W.m`, or `g_loss/gen.W.m` with several losses), zero at the start; entries move like model.params. */
  readonly state: Record<string, FloatArray> = {};
  /**
   * 'f64' runs every step in float64 (reference runs to compare with PyTorch's double precision): the
   * trainer then trains float64 copies of the parameters and states, `params` and `states` below, and
   * leaves model.params as they were until `copyToModel()`. In float32 these are model.params/states.
   */
  readonly precision: Precision;
  readonly params: Record<string, FloatArray>;
  readonly states: Record<string, FloatArray>;
  /** Number of steps (rounds over every loss) taken: Adam's t. */
  t = 0;
  lr: number;
  private readonly groups: GroupStep[];

  constructor(
    readonly model: Model,
    cfg: Partial<TrainConfig> = {},
    precision: Precision = 'f32',
  ) {
    if (!model.ir.hasLoss)
      throw new RunError([
        error('E0208', model.ir.span, `model ${model.name} declares no loss, so it cannot be trained`, [
          note("add a line such as 'loss nn.cross_entropy(logits, y)'"),
        ]),
      ]);
    this.groups = model.ir.losses.map((g) => {
      const r = resolveOptimizer(model.ir, cfg, g);
      if ('errors' in r) throw new RunError(r.errors);
      const program = trainStepProgram(model.ir, r.config, g, trainingOutputs(model));
      const repeat = model.ir.train?.settings[`repeat_${g.name}`];
      return { name: g.name, config: r.config, program, optimized: optimize(program.fn, model.opts.passes), repeat: typeof repeat === 'number' ? repeat : 1 };
    });
    this.config = this.groups[0]!.config;
    this.program = this.groups[0]!.program;
    this.precision = precision;
    const copy = (t: Record<string, FloatArray>) => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Float64Array.from(v)]));
    this.params = precision === 'f64' ? copy(model.params) : model.params;
    this.states = precision === 'f64' ? copy(model.states) : model.states;
    const Arr = precision === 'f64' ? Float64Array : Float32Array;
    for (const s of this.slots) setOwn(this.state, s.name, new Arr(model.params[s.param]!.length).fill(s.init));
    this.lr = this.config.hyper?.['lr'] ?? 0.01;
  }

  /** Every optimizer state tensor of every loss group. */
  get slots(): TrainStep['slots'] {
    return this.groups.flatMap((g) => g.program.slots);
  }

  /** The specialized step of a group for these batch shapes (compiled on first use, then cached). */
  private prepare(g: GroupStep, batch: Readonly<Record<string, Tensor>>) {
    if (g.last && sameShapes(batch, g.last.shapeList)) return g.last;
    const Arr = this.precision === 'f64' ? Float64Array : Float32Array;
    const all: Record<string, Tensor> = {
      ...batch,
      [HYPER_LR]: { data: new Arr(1), shape: [] },
      [HYPER_STEP]: { data: new Arr(1), shape: [] },
      [RANDOM_KEY]: { data: new Arr(1), shape: [] },
      [TRAINING_FLAG]: { data: Arr.of(1), shape: [] },
    };
    for (const p of this.model.ir.params) setOwn(all, p.name, { data: this.params[p.name]!, shape: p.type.shape as number[] });
    for (const p of this.model.ir.states) setOwn(all, p.name, { data: this.states[p.name]!, shape: p.type.shape as number[] });
    for (const s of g.program.slots)
      setOwn(all, s.name, { data: this.state[s.name]!, shape: this.model.ir.params.find((p) => p.name === s.param)!.type.shape as number[] });
    const { env, errors } = bindInputs(g.optimized, all);
    if (errors.length) throw new RunError(errors);
    const spec = specialize(g.optimized, env, this.precision, this.model.opts.passes?.disable, this.model.opts.maxMemory, this.model.opts.backend);
    const ins = spec.schedule.inputs.map((s) => all[s.name]!.data);
    const slotOf = new Map(spec.schedule.inputs.map((s, i) => [s.name, i]));
    const shapeList = this.model.ir.inputs.filter((i) => Object.hasOwn(batch, i.name)).map((i) => ({ name: i.name, shape: [...batch[i.name]!.shape] }));
    const tableOf = (name: string) => [this.params, this.states, this.state].find((t) => Object.hasOwn(t, name));
    const owned = spec.schedule.inputs.flatMap((s, input) => {
      const table = tableOf(s.name);
      return table ? [{ input, table, name: s.name }] : [];
    });
    g.last = { spec, ins, slotOf, shapeList, owned };
    return g.last;
  }

  /**
   * Points the step at the current parameter, state and slot arrays. The first loss's step also moves
   * them into its module's WebAssembly memory (its input homes) when it has one, so its SIMD kernels
   * read and update them there with no copy per step; model.params then holds those arrays. Other
   * steps get the arrays as they are and copy in and out themselves.
   */
  private bind(p: Prepared, adopt: boolean): void {
    for (const { input, table, name } of p.owned) {
      const home = p.spec.module.homes[input];
      if (adopt && home && table[name] !== home) {
        home.set(table[name]!);
        table[name] = home;
      }
      p.ins[input] = table[name]!;
    }
  }

  /**
   * Compiles the step of every loss for this batch's shapes without running it (the first `step`
   * would otherwise do it). Returns the specialized programs, with their code and memory plans.
   */
  compile(batch: Readonly<Record<string, Tensor>>): Specialized[] {
    return this.groups.map((g) => this.prepare(g, batch).spec);
  }

  /**
   * One optimizer step on a batch (inputs and targets by name): every loss group's step in declaration
   * order (repeated as `repeat_<loss>` says). All or nothing: on a non-finite loss or gradient in any
   * group, every parameter, state and optimizer slot is as it was before the step, `t` is unchanged,
   * and RunError E0404 names the first non-finite value's op and line.
   */
  step(batch: Readonly<Record<string, Tensor>>): StepResult {
    const t = this.t + 1;
    let result: StepResult | undefined;
    const losses: Record<string, number> = Object.create(null);
    // With several group steps per step, earlier ones have written when a later one fails: keep a copy.
    const undo = this.groups.length > 1 || this.groups.some((g) => g.repeat > 1) ? this.snapshot() : undefined;
    for (const g of this.groups) {
      for (let k = 0; k < g.repeat; k++) {
        const p = this.prepare(g, batch);
        this.bind(p, g === this.groups[0]);
        for (const [name, i] of p.slotOf) {
          const t = ownEntry(batch, name);
          if (t) p.ins[i] = t.data;
        }
        // A schedule scales every group's own learning rate by the same factor.
        (p.ins[p.slotOf.get(HYPER_LR)!] as FloatArray)[0] =
          g === this.groups[0] ? this.lr : (g.config.hyper?.['lr'] ?? 0.01) * (this.lr / (this.config.hyper?.['lr'] ?? 0.01));
        (p.ins[p.slotOf.get(HYPER_STEP)!] as FloatArray)[0] = t;
        // A fresh random key per step (dropout masks differ every step, and replay exactly from the seed).
        const key = p.slotOf.get(RANDOM_KEY);
        if (key !== undefined) (p.ins[key] as FloatArray)[0] = ((this.model.opts.seed ?? 0) * 7919 + t * 31 + k) % 16777216;
        const applied = p.spec.module.run(p.ins);
        const loss = p.spec.outputs['loss']![0]!;
        if (!applied) {
          const e = nonFinite(
            this.model,
            { group: g.name, groups: this.groups.length, fn: g.program.fn, t, outputs: p.spec.outputs },
            (name) =>
              (p.slotOf.has(name) ? p.ins[p.slotOf.get(name)!] : undefined) ??
              ownEntry(batch, name)?.data ??
              ownEntry(this.params, name) ??
              ownEntry(this.states, name) ??
              ownEntry(this.state, name),
            batch,
          );
          if (undo) this.restore(undo);
          throw e;
        }
        setOwn(losses, g.name, loss);
        result ??= { loss, outputs: p.spec.outputs };
      }
    }
    this.t = t;
    return this.groups.length > 1 ? { ...result!, losses } : result!;
  }

  /** Float64 training: writes the trained parameters and states back into model.params/states (rounded to float32). */
  copyToModel(): void {
    if (this.precision === 'f32') return;
    for (const [k, v] of Object.entries(this.params)) this.model.params[k]!.set(v);
    for (const [k, v] of Object.entries(this.states)) this.model.states[k]!.set(v);
  }

  /** Copies of every parameter, state and optimizer slot (for undoing a multi-group step). */
  private snapshot(): Undo {
    this.undoBuffers ??= [this.params, this.states, this.state].flatMap((table) =>
      Object.keys(table).map((k) => [table, k, new (this.precision === 'f64' ? Float64Array : Float32Array)(table[k]!.length)] as Undo[number]),
    );
    for (const [table, k, copy] of this.undoBuffers) copy.set(table[k]!);
    return this.undoBuffers;
  }

  private restore(undo: Undo): void {
    for (const [table, k, copy] of undo) table[k]!.set(copy);
  }

  private undoBuffers?: Undo;
}

/** Saved copies of every trained array: [its table, its name, the copy]. */
type Undo = [Record<string, FloatArray>, string, FloatArray][];

/** A user-named entry, never one from the prototype chain (`toString`, `constructor`). */
const ownEntry = <T>(r: Readonly<Record<string, T>>, k: string): T | undefined => (Object.hasOwn(r, k) ? r[k] : undefined);

/** Whether a batch has the shapes of the one a step was compiled for, and data of those sizes (no allocation). */
const sameShapes = (batch: Readonly<Record<string, Tensor>>, list: readonly { name: string; shape: readonly number[] }[]): boolean => {
  for (const { name, shape } of list) {
    const t = ownEntry(batch, name);
    if (!t || t.shape.length !== shape.length) return false;
    let size = 1;
    for (let i = 0; i < shape.length; i++) {
      if (t.shape[i] !== shape[i]) return false;
      size *= shape[i]!;
    }
    // a batch whose data does not fit its shape goes the slow way, which reports it (E0403)
    if (t.data.length !== size) return false;
  }
  return true;
};
