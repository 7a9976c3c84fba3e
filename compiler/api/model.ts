// A checked model with its parameters: forward passes, gradients and training steps, compiled on first
// use for the concrete input shapes (and cached per shape signature).
import { setOwn } from '../../runtime/tensor.js';
import { Rng } from '../../runtime/random.js';
import { initialize } from '../../runtime/init.js';
import type { FloatArray, Tensor, TensorData } from '../../runtime/tensor.js';
import type { Precision } from '../../runtime/compiled.js';
import type { ModelIR } from '../check/model.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { INPUT, neededFrom, type IrFunction } from '../ir/ir.js';
import { error } from '../diagnostics/codes.js';
import { fmtType } from '../types/types.js';
import * as E from 'fp-ts/lib/Either.js';
import {
  bindInputs,
  gradientProgram,
  jvp,
  optimize,
  parameterMemory,
  preGrad,
  specialize,
  type BackendChoice,
  type PassOptions,
  type Specialized,
} from '../pipeline.js';
import { selectOutputs } from '../train/step.js';
import { RunError } from './errors.js';
import { saveModel } from './save.js';
import type { Trainer } from './trainer.js';
import { RANDOM_KEY, TRAINING_FLAG } from '../check/hypers.js';
import { DEFAULT_LIMITS } from '../check/limits.js';
import { CallCache } from './callCache.js';

export interface ModelOptions {
  readonly seed?: number;
  readonly passes?: PassOptions;
  /** Bytes the parameters, or one compiled step, may take (default: half of this machine's memory); more is E0606. */
  readonly maxMemory?: number;
  /** What compiled steps run as: 'wasm' (default), 'js', 'native' (C through the system compiler) or 'auto'. */
  readonly backend?: BackendChoice;
}

/**
 * How a forward pass, an evaluation or a gradient runs. `training` is PyTorch's `model.train()` /
 * `model.eval()` for one call: `training()` reads 1, batch norm normalizes with the batch's statistics
 * and dropout drops (with the mask drawn from `key`, the model's seed unless given, so repeated calls
 * see the same mask); false (the default) uses the running statistics and no dropout. Running
 * statistics are never updated here: only a Trainer's step does that.
 */
export interface RunOptions {
  readonly training?: boolean;
  /** The random key random ops draw from (default: the model's seed). */
  readonly key?: number;
  readonly precision?: Precision;
  /**
   * forward/evaluate: arrays to write outputs into, by output name (PyTorch's `out=`), instead of fresh
   * copies: a Float32Array (Float64Array at 'f64') of the output's element count. A loop that calls
   * forward on large outputs saves an allocation per call (256 KiB for a 256 × 256 product).
   */
  readonly out?: Readonly<Record<string, Float32Array | Float64Array>>;
}

export interface GradOptions extends RunOptions {
  /** Also differentiate with respect to these f32 inputs (outputs `grad:<name>`). */
  readonly wrt?: readonly string[];
  /** Which loss, by name, for models that declare several (default: the first). */
  readonly loss?: string;
}

const runOptions = <T extends RunOptions>(o: Precision | T | undefined): T => (typeof o === 'string' ? ({ precision: o } as T) : (o ?? ({} as T)));

/** The passes (compiler/pipeline.ts), re-exported where tests and older callers import them. */
export { optimize };

export class Model {
  /**
   * Parameter name (e.g. `l1.W`) → its values, row-major. Updated in place by training; a Trainer may
   * also move an entry into its compiled step's memory (same values, a new array), so look entries up
   * here when you need them rather than keeping an array from before training.
   */
  readonly params: Record<string, Float32Array> = {};
  /** `state` tensors (e.g. batch-norm running statistics), updated by training steps (and moved like params), never differentiated. */
  readonly states: Record<string, Float32Array> = {};
  private predictFn?: IrFunction;
  private fullFn?: IrFunction;
  private readonly gradFns = new Map<string, IrFunction>();
  private readonly jvpFns = new Map<string, IrFunction>();
  private readonly calls = new CallCache(() => ({ params: new Set(this.ir.params.map((p) => p.name)), states: new Set(this.ir.states.map((p) => p.name)) }));

  /** The checked model, its forward program already through the PRE_GRAD passes. */
  readonly ir: ModelIR;

  constructor(
    ir: ModelIR,
    readonly opts: ModelOptions = {},
  ) {
    const tooBig = parameterMemory(ir, opts.maxMemory ?? DEFAULT_LIMITS.maxMemory);
    if (tooBig) throw new RunError([tooBig]);
    this.ir = preGrad(ir, opts.passes);
    this.init(opts.seed ?? 0);
  }

  get name(): string {
    return this.ir.name;
  }

  /** (Re)initializes every parameter from its declared initializer; same seed ⇒ same bits. */
  init(seed: number): void {
    const root = new Rng(seed);
    this.ir.params.forEach((p, i) => {
      setOwn(this.params, p.name, initialize(p.init, p.type.shape as number[], root.fork(i)));
    });
    this.ir.states.forEach((p, i) => {
      setOwn(this.states, p.name, initialize(p.init, p.type.shape as number[], root.fork(100003 + i)));
    });
  }

  /** Values of the run-time scalars `training()` and random ops read: the key (the seed by default) and the mode. */
  hyperDefaults(training = false, key = this.opts.seed ?? 0): Record<string, Tensor> {
    return { [RANDOM_KEY]: scalarOf(key), [TRAINING_FLAG]: scalarOf(training ? 1 : 0) };
  }

  /** Replaces a parameter's values (checked against its declared shape). */
  setParam(name: string, values: ArrayLike<number>): void {
    const p = this.ir.params.find((q) => q.name === name);
    if (!p) throw new RunError([], `model ${this.name} has no parameter '${name}' (it has ${this.ir.params.map((q) => q.name).join(', ')})`);
    const target = this.params[name]!;
    if (values.length !== target.length)
      throw new RunError([], `parameter '${name}' is ${fmtType(p.type)} (${target.length} values), got ${values.length} values`);
    target.set(values);
  }

  /** The shape of a parameter or state, e.g. `[784, 16]` for `l1.W` (its dims are all fixed). */
  shapeOf(name: string): number[] {
    const p = this.ir.params.find((q) => q.name === name) ?? this.ir.states.find((q) => q.name === name);
    if (!p) throw new RunError([], `model ${this.name} has no parameter or state '${name}'`);
    return p.type.shape.map((d) => {
      if (typeof d !== 'number') throw new RunError([], `'${name}' has a symbolic dim ${d}`);
      return d;
    });
  }

  /**
   * Saves parameters and states (and, with a trainer, optimizer state and step) in the layout of
   * `dlm train` checkpoints: to a file, atomically, or as safetensors bytes when no path is given.
   * Read them back with loadModel / loadTrainer, `dlm run --checkpoint`, or safetensors in Python.
   */
  save(path: string, trainer?: Trainer): undefined;
  save(path?: undefined, trainer?: Trainer): Uint8Array;
  save(path?: string, trainer?: Trainer): Uint8Array | undefined {
    return path === undefined ? saveModel(this, undefined, trainer) : saveModel(this, path, trainer);
  }

  paramCount(): number {
    return Object.values(this.params).reduce((s, a) => s + a.length, 0);
  }

  /**
   * Runs `f` on named inputs plus the parameters; throws RunError (with diagnostics) on bad inputs.
   * A call with the precision and input shapes of an earlier one reuses what that call worked out
   * (bound dims, the specialized program, where each of its inputs comes from: callCache.ts), so
   * it only checks every array's length and copies the arrays in.
   */
  run(f: IrFunction, inputs: Readonly<Record<string, Tensor>>, precision: Precision = 'f32', mode: RunOptions = {}): Specialized {
    const training = mode.training ?? false,
      key = mode.key ?? this.opts.seed ?? 0;
    const sig = this.calls.signature(f, inputs, precision);
    const hit = this.calls.get(f, sig);
    if (hit) {
      const ins = hit.gather(inputs, this.params, this.states, key, training ? 1 : 0);
      if (ins) {
        try {
          hit.spec.module.run(ins);
        } finally {
          hit.release();
        }
        return hit.spec;
      }
    }
    const all: Record<string, Tensor> = { ...inputs, ...this.hyperDefaults(training, key) };
    for (const p of this.ir.params) setOwn(all, p.name, { data: this.params[p.name]!, shape: p.type.shape as number[] });
    for (const p of this.ir.states) setOwn(all, p.name, { data: this.states[p.name]!, shape: p.type.shape as number[] });
    const { env, errors } = bindInputs(f, all);
    if (errors.length) throw new RunError(errors);
    const spec = specialize(optimize(f, this.opts.passes), env, precision, this.opts.passes?.disable, this.opts.maxMemory, this.opts.backend);
    const ins = spec.schedule.inputs.map((s) => all[s.name]!.data as TensorData);
    this.calls.set(f, sig, spec, ins);
    spec.module.run(ins);
    return spec;
  }

  /** The outputs that read no target (what `forward` computes without targets). */
  targetFreeOutputs(): string[] {
    const targets = new Set(this.ir.fn.nodes.filter((n) => n.op === INPUT && n.attrs['role'] === 'target').map((n) => n.id));
    return this.ir.outputs.filter((o) => {
      const id = this.ir.fn.outputs.find((q) => q.name === o)?.id;
      return id === undefined || ![...neededFrom(this.ir.fn, [id])].some((n) => targets.has(n));
    });
  }

  /**
   * The model's outputs for the given inputs, in evaluation mode unless `{ training: true }`. Targets are
   * not needed: without them, outputs that read one are left out. Results are fresh copies. The second
   * argument may be just a precision.
   */
  forward(inputs: Readonly<Record<string, Tensor>>, opts?: Precision | RunOptions): Record<string, Tensor> {
    const o = runOptions(opts);
    const targets = this.ir.inputs.filter((i) => i.role === 'target');
    if (targets.length && targets.every((t) => Object.hasOwn(inputs, t.name))) {
      this.fullFn ??= selectOutputs(this.ir.fn, this.ir.outputs);
      return copyOutputs(this.run(this.fullFn, inputs, o.precision, o), o.out);
    }
    this.predictFn ??= selectOutputs(this.ir.fn, this.targetFreeOutputs());
    return copyOutputs(this.run(this.predictFn, inputs, o.precision, o), o.out);
  }

  /** Outputs and the loss (inputs and targets needed); evaluation mode unless `{ training: true }`. */
  evaluate(inputs: Readonly<Record<string, Tensor>>, opts?: Precision | RunOptions): Record<string, Tensor> {
    const o = runOptions(opts);
    return copyOutputs(this.run(this.ir.fn, inputs, o.precision, o), o.out);
  }

  /**
   * The program computing the loss and ∂loss/∂θ for every parameter, plus ∂loss/∂x for the named f32
   * inputs (outputs `loss` and `grad:<name>`).
   */
  gradProgram(wrtInputs: readonly string[] = [], lossName?: string): IrFunction {
    const key = [lossName ?? '', ...wrtInputs].join('\u0000');
    const hit = this.gradFns.get(key);
    if (hit) return hit;
    const group = lossName === undefined ? this.ir.losses[0] : this.ir.losses.find((l) => l.name === lossName);
    if (!group) {
      throw new RunError(
        [],
        this.ir.losses.length === 0
          ? `model ${this.name} declares no loss, so it has no gradient`
          : `model ${this.name} has no loss '${lossName}' (it has ${this.ir.losses.map((l) => l.name).join(', ')})`,
      );
    }
    const loss = { name: 'loss', id: group.id };
    const targets = [
      ...this.ir.params.map((p) => ({ name: p.name, id: p.id })),
      ...wrtInputs.map((name) => {
        const i = this.ir.inputs.find((x) => x.name === name);
        if (!i) throw new RunError([], `model ${this.name} has no input '${name}'`);
        if (i.type.dtype !== 'f32') throw new RunError([error('E0301', i.span, `cannot differentiate with respect to '${name}', a ${fmtType(i.type)} input`)]);
        return { name, id: this.ir.fn.nodes.find((n) => n.op === INPUT && n.attrs['name'] === name)!.id };
      }),
    ];
    const fn = gradientProgram(this.ir.fn, `${this.name}_grad`, [loss], [{ loss: loss.id, wrt: targets.map((t) => ({ name: `grad:${t.name}`, id: t.id })) }]);
    this.gradFns.set(key, fn);
    return fn;
  }

  /**
   * Forward mode (JAX's `jax.jvp`): the outputs and their Jacobian–vector products J·v, where v gives
   * tangents for any parameters (by name, e.g. `l1.W`) and f32 inputs (absent ones are zero). One
   * forward sweep (compiler/autodiff/jvp.ts), nothing stored for a backward pass. The losses are
   * included when every target is among the inputs. Throws RunError (E0312) for an op forward mode
   * cannot differentiate.
   */
  jvp(inputs: Readonly<Record<string, Tensor>>, tangents: Readonly<Record<string, Tensor | FloatArray>>, opts?: Precision | RunOptions): JvpResult {
    const o = runOptions(opts);
    const names = Object.keys(tangents).sort();
    const withLoss = this.ir.inputs.filter((i) => i.role === 'target').every((i) => Object.hasOwn(inputs, i.name));
    for (const name of names) {
      const p = this.ir.params.find((q) => q.name === name),
        i = this.ir.inputs.find((q) => q.name === name);
      if (!p && !i) throw new RunError([], `model ${this.name} has no parameter or input '${name}' to take a tangent of`);
      if (i && i.type.dtype !== 'f32') {
        throw new RunError([error('E0301', i.span, `cannot differentiate with respect to '${name}', a ${fmtType(i.type)} input`)]);
      }
    }
    const key = [withLoss ? 'loss' : '', ...names].join('\u0000');
    let f = this.jvpFns.get(key);
    if (!f) {
      if (!withLoss) this.predictFn ??= selectOutputs(this.ir.fn, this.ir.outputs);
      const r = jvp(withLoss ? this.ir.fn : this.predictFn!, names);
      if (E.isLeft(r)) throw new RunError(r.left);
      f = r.right;
      this.jvpFns.set(key, f);
    }
    const feed: Record<string, Tensor> = { ...inputs };
    for (const name of names) {
      const t = tangents[name]!;
      const shape = 'shape' in t && 'data' in t ? t.shape : Object.hasOwn(inputs, name) ? inputs[name]!.shape : this.shapeOf(name);
      setOwn(feed, `tangent:${name}`, 'data' in t && 'shape' in t ? (t as Tensor) : { data: t as FloatArray, shape });
    }
    const out = copyOutputs(this.run(f, feed, o.precision, o));
    const r: JvpResult = { outputs: {}, tangents: {} };
    for (const [k, v] of Object.entries(out)) setOwn(k.startsWith('tangent:') ? r.tangents : r.outputs, k.startsWith('tangent:') ? k.slice(8) : k, v);
    return r;
  }

  /**
   * The loss and its gradient with respect to every parameter (PyTorch's backward, JAX's value_and_grad),
   * and with respect to the inputs named in `wrt`. Evaluation mode unless `{ training: true }` (then
   * batch norm differentiates through the batch's statistics and dropout applies the mask drawn from
   * `key`, as a training step does).
   * The older positional form `valueAndGrad(inputs, precision, wrtInputs)` still works.
   */
  valueAndGrad(
    inputs: Readonly<Record<string, Tensor>>,
    opts?: Precision | GradOptions,
    wrtInputs: readonly string[] = [],
  ): { loss: number; grads: Record<string, FloatArray> } {
    const o = runOptions(opts);
    const wrt = o.wrt ?? wrtInputs;
    const out = this.run(this.gradProgram(wrt, o.loss), inputs, o.precision, o);
    const grads: Record<string, FloatArray> = {};
    for (const name of [...this.ir.params.map((p) => p.name), ...wrt]) setOwn(grads, name, out.outputs[`grad:${name}`]!.slice());
    return { loss: out.outputs['loss']![0]!, grads };
  }
}

export interface JvpResult {
  /** The model's outputs (and its losses when every target was given), as `forward`/`evaluate` give them. */
  readonly outputs: Record<string, Tensor>;
  /** J·v for each of them: the directional derivative along the given tangents. */
  readonly tangents: Record<string, Tensor>;
}

const scalarOf = (v: number): Tensor => ({ data: Float32Array.of(v), shape: [] });

/** The outputs of a run: fresh copies, or written into the arrays of `out` (own keys only; E0405 when one does not fit). */
export const copyOutputs = (s: Specialized, out?: Readonly<Record<string, Float32Array | Float64Array>>): Record<string, Tensor> => {
  const r: Record<string, Tensor> = {};
  // checked only when given: copyOutputs runs at every forward call
  for (const k of out ? Object.keys(out) : [])
    if (!s.schedule.outputs.some((o) => o.name === k)) {
      const names = s.schedule.outputs.map((o) => o.name).join(', ');
      throw new RunError([error('E0405', null, `out: no output '${k}' (outputs: ${names})`)]);
    }
  for (const o of s.schedule.outputs) {
    const data = s.outputs[o.name]!;
    const into = out && Object.hasOwn(out, o.name) ? out[o.name] : undefined;
    if (into === undefined) {
      setOwn(r, o.name, { data: data.slice(), shape: [...o.shape] });
      continue;
    }
    if (!ArrayBuffer.isView(into) || into.constructor !== data.constructor || into.length !== data.length) {
      const given = ArrayBuffer.isView(into) ? `a ${into.constructor.name} of ${into.length}` : `a ${Object.prototype.toString.call(into).slice(8, -1)}`;
      const need = `a ${data.constructor.name} of ${data.length} elements (shape [${o.shape.join(', ')}])`;
      throw new RunError([error('E0405', null, `out: '${o.name}' needs ${need}, not ${given}`)]);
    }
    into.set(data as Float32Array);
    setOwn(r, o.name, { data: into, shape: [...o.shape] });
  }
  return r;
};

export type { Diagnostic };
