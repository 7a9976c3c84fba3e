// A standalone ES module of a model (`dlm compile --emit module`): its generated kernels as functions of
// the module (no eval, no new Function: it loads under `script-src 'self'`), one specialization per
// requested size of the symbolic dims (picked at call time from the input shapes), the run time that
// binds named inputs (runtimeSource.ts), the weights as embedded safetensors bytes, and the SIMD matmul
// kernels' WebAssembly bytes with a scalar fallback. It imports nothing.
import { encodeSafetensors } from '../../runtime/checkpoint.js';
import { setOwn, type Tensor } from '../../runtime/tensor.js';
import { SCRATCH_BYTES, matmulModuleBytes } from '../../runtime/wasm/matmulKernels.js';
import { EXTERN_KERNELS } from '../../runtime/wasm/heap.js';
import type { Model } from '../api/model.js';
import { Trainer } from '../api/trainer.js';
import { RunError } from '../api/errors.js';
import { RANDOM_KEY, TRAINING_FLAG } from '../check/hypers.js';
import { ident, lit, safeComment } from '../codegen/emitJs.js';
import { InternalError } from '../diagnostics/diagnostic.js';
import type { IrFunction } from '../ir/ir.js';
import { concreteShape } from '../ir/bind.js';
import { JS_SIMD, optimize, simdHomes, specialize, type Specialized } from '../pipeline.js';
import { HYPER_LR, HYPER_STEP, selectOutputs } from '../train/step.js';
import { dimNames } from '../types/dims.js';
import { fmtType, type TensorType } from '../types/types.js';
import { declarations } from './declarations.js';
import { RUNTIME_JS } from './runtimeSource.js';
import { toBase64 } from './base64.js';
import { rowDim } from './rows.js';

export interface StandaloneOptions {
  /** Sizes to compile for each symbolic dim (default 1): one specialization per combination. */
  readonly dims?: Readonly<Record<string, readonly number[]>>;
  /** Also emit `step(batch)`: the compiled training step (forward, backward, optimizer update). */
  readonly train?: boolean;
  /** Hash written into saveWeights() metadata, so the CLI accepts the bytes as a checkpoint of this model. */
  readonly modelHash?: string;
  /** Optimizer state to start from when training (slot name → values), e.g. a resumed checkpoint's. */
  readonly trainer?: Trainer;
}

export interface StandaloneModule {
  /** The ES module's text. */
  readonly js: string;
  /** Its TypeScript declarations (write beside it as NAME.d.mts for NAME.mjs, NAME.d.ts for NAME.js). */
  readonly dts: string;
  readonly specializations: number;
}

/** Which value the run time passes for a program input. */
const sourceOf = (name: string, role: string): string => {
  if (role === 'input' || role === 'target') return 'batch';
  if (role === 'param' || role === 'state') return 'weight';
  const hyper: Record<string, string> = { [RANDOM_KEY]: 'key', [TRAINING_FLAG]: 'training', [HYPER_LR]: 'lr', [HYPER_STEP]: 't' };
  const src = Object.hasOwn(hyper, name) ? hyper[name] : undefined;
  if (!src) throw new InternalError(`standalone module: no run-time value for hyper input '${name}'`);
  return src;
};

const json = (v: unknown): string =>
  JSON.stringify(v)
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

/**
 * A table as a JavaScript expression. The model's names are keys of these tables, and in an object
 * literal a key `"__proto__"` sets the prototype instead of making a property: such a table is written
 * as JSON.parse of its text, which makes every key an own property.
 */
const table = (v: unknown): string => {
  const text = json(v);
  return /"__proto__":/.test(text) ? `JSON.parse(${json(text)})` : text;
};

/** Every combination of the requested sizes of the dims `f` mentions (each defaults to [1]). */
const envs = (f: IrFunction, dims: Readonly<Record<string, readonly number[]>>): Map<string, number>[] => {
  const names = [...new Set(f.nodes.flatMap((n) => n.type.shape.flatMap(dimNames)))].sort();
  let out: Map<string, number>[] = [new Map()];
  for (const d of names) {
    const sizes = Object.hasOwn(dims, d) ? dims[d]! : [1];
    out = out.flatMap((env) => sizes.map((s) => new Map([...env, [d, s]])));
  }
  return out;
};

interface Emitted {
  readonly kind: 'predict' | 'step';
  readonly dims: Record<string, number>;
  readonly shapes: Record<string, number[]>;
  readonly variants: string[];
}

export const standaloneModule = (model: Model, opts: StandaloneOptions = {}): StandaloneModule => {
  const lines: string[] = [];
  const specs: Emitted[] = [];
  let counter = 0;
  let usesWasm = false;
  /** One specialization: its SIMD variant (when it has one), then the scalar variant it falls back to. */
  const emitSpec = (kind: 'predict' | 'step', f: IrFunction, env: Map<string, number>): void => {
    const disable = model.opts.passes?.disable ?? [];
    const first = specialize(f, env, 'f32', disable, undefined, JS_SIMD);
    const variants: Specialized[] = simdHomes(first.schedule) ? [first, specialize(f, env, 'f32', [...disable, 'simd'], undefined, JS_SIMD)] : [first];
    const batch = first.schedule.inputs.filter((i) => i.role === 'input' || i.role === 'target');
    const shapes: Record<string, number[]> = {};
    for (const i of batch) setOwn(shapes, i.name, [...i.shape]);
    const names = variants.map((v) => {
      const name = `spec${counter++}`;
      const simd = simdHomes(v.schedule);
      if (simd) usesWasm = true;
      const sizes = [...env].map(([k, n]) => `${k}=${n}`).join(' ') || 'static shapes';
      lines.push(`// ---- ${name}: ${kind} for ${safeComment(sizes)}${simd ? ' (SIMD matmuls)' : ''}`);
      lines.push(`function ${ident(name)}_make(arena, homes, ${EXTERN_KERNELS.map(ident).join(', ')}) {`, v.source, '}');
      const inputs = v.schedule.inputs.map((i) => ({ name: i.name, src: sourceOf(i.name, i.role) }));
      const outputs = v.schedule.outputs.map((o) => ({ name: o.name, buf: o.buf, shape: [...o.shape] }));
      if (!Number.isInteger(v.plan.arenaSize)) throw new InternalError('standalone module: bad arena size');
      lines.push(
        `const ${ident(name)} = { make: ${ident(name)}_make, arenaSize: ${lit(v.plan.arenaSize)}, homes: ${json(simd?.homes ?? null)}, ` +
          `inputs: ${json(inputs)}, outputs: ${json(outputs)} };`,
        '',
      );
      return name;
    });
    specs.push({ kind, dims: Object.fromEntries(env), shapes, variants: names });
  };

  const forward = optimize(selectOutputs(model.ir.fn, model.ir.outputs), model.opts.passes);
  const rows = rowDim(model, forward, model.opts.seed ?? 0);
  const dims = opts.dims ?? {};
  for (const env of envs(forward, dims)) emitSpec('predict', forward, env);
  let trainer: Trainer | undefined;
  if (opts.train) {
    const k = model.ir.losses.length;
    if (k > 1) throw new RunError([], `${model.name} has ${k} losses; a standalone module steps one (train it with dlm train)`);
    trainer = opts.trainer ?? new Trainer(model);
    const step = optimize(trainer.program.fn, model.opts.passes);
    for (const env of envs(step, dims)) emitSpec('step', step, env);
  }

  // Weights: parameters and states, then (training) the optimizer slots, as one safetensors blob.
  const tensors: Record<string, Tensor> = {};
  const weightNames: { name: string; shape: number[]; slot?: true }[] = [];
  const shapeOf = (t: TensorType) => concreteShape(t.shape, new Map());
  for (const p of [...model.ir.params, ...model.ir.states]) {
    const shape = shapeOf(p.type);
    setOwn(tensors, p.name, { data: model.params[p.name] ?? model.states[p.name]!, shape });
    weightNames.push({ name: p.name, shape });
  }
  if (trainer) {
    for (const s of trainer.slots) {
      const shape = weightNames.find((w) => w.name === s.param)!.shape;
      setOwn(tensors, `optimizer.${s.name}`, { data: trainer.state[s.name]!, shape });
      weightNames.push({ name: s.name, shape, slot: true });
    }
  }
  const meta = { format: 'dlm', model: model.name, ...(trainer ? { optimizer: trainer.config.optimizer, step: String(trainer.t) } : {}) };
  const weights = encodeSafetensors(tensors, meta);

  const declaredType = (id: number): TensorType => model.ir.fn.nodes.find((n) => n.id === id)!.type;
  const declared = {
    inputs: Object.fromEntries(model.ir.inputs.map((i) => [i.name, { role: i.role, dtype: i.type.dtype, shape: [...i.type.shape] }])),
    outputs: Object.fromEntries(
      model.ir.fn.outputs
        .filter((o) => model.ir.outputs.includes(o.name))
        .map((o) => {
          const t = declaredType(o.id);
          return [o.name, { dtype: t.dtype, shape: [...t.shape] }];
        }),
    ),
  };
  const train = trainer ? { optimizer: trainer.config.optimizer, lr: trainer.lr, hyper: trainer.config.hyper ?? {} } : null;
  const title = `${model.name}: ${model.ir.inputs.map((i) => `${i.name}: ${fmtType(i.type)}`).join(', ')}`;
  const head = [
    `// dlm standalone module of ${safeComment(title)}`,
    `// predict(inputs)${trainer ? ', step(batch)' : ''}, setWeights(bytes), loadWeights(url), saveWeights(), getWeights(), info.`,
    '// Generated code: no imports, no eval. Types are in the .d.ts beside it.',
    '/* eslint-disable */',
    '"use strict";',
    `const MODEL = ${json(model.name)};`,
    `const MODEL_HASH = ${json(opts.modelHash ?? '')};`,
    `const SEED = ${lit(model.opts.seed ?? 0)};`,
    `const TRAIN = ${table(train)};`,
    `const ROW_DIM = ${json(rows ?? null)};`,
    `const DECLARED = ${table(declared)};`,
    `const WEIGHT_NAMES = ${json(weightNames)};`,
    `const WASM_B64 = ${json(usesWasm ? toBase64(matmulModuleBytes()) : '')};`,
    `const WASM_FMA_B64 = ${json(usesWasm ? toBase64(matmulModuleBytes(true)) : '')};`,
    `const WASM_SCRATCH = ${lit(SCRATCH_BYTES)};`,
    `const WEIGHTS_B64 = ${json(toBase64(weights))};`,
    '',
  ];
  const row = (s: Emitted) =>
    `  { kind: ${json(s.kind)}, dims: ${table(s.dims)}, shapes: ${table(s.shapes)}, variants: [${s.variants.map(ident).join(', ')}] },`;
  const specTable = `const SPECS = [\n${specs.map(row).join('\n')}\n];`;
  const js = [...head, ...lines, specTable, RUNTIME_JS].join('\n');
  return {
    js,
    dts: declarations(
      model,
      declared,
      Boolean(trainer),
      specs.map((s) => s.shapes),
    ),
    specializations: specs.length,
  };
};
