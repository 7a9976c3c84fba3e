// The .d.ts of a standalone module: each input's and output's shape as a labelled tuple type
// (`readonly [B: number, d1: 784]`), so a caller's mistakes in rank or fixed sizes fail to compile.
import type { Model } from '../api/model.js';
import { safeComment } from '../codegen/emitJs.js';
import type { Dim } from '../types/dims.js';

interface Declared {
  readonly inputs: Readonly<Record<string, { readonly role: string; readonly dtype: string; readonly shape: readonly Dim[] }>>;
  readonly outputs: Readonly<Record<string, { readonly dtype: string; readonly shape: readonly Dim[] }>>;
}

const RESERVED = new Set([
  'in',
  'of',
  'do',
  'if',
  'for',
  'new',
  'var',
  'let',
  'const',
  'void',
  'this',
  'with',
  'case',
  'class',
  'enum',
  'null',
  'true',
  'false',
  'typeof',
  'delete',
  'return',
  'switch',
  'while',
  'break',
]);

/** A labelled tuple type of a declared shape: symbolic dims are `NAME: number`, fixed ones `dK: N`. */
const tupleType = (shape: readonly Dim[], ro: boolean): string => {
  const used = new Set<string>();
  const parts = shape.map((d, k) => {
    let label = typeof d === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(d) && !RESERVED.has(d) ? d : `d${k}`;
    if (used.has(label)) label = `${label}_${k}`;
    used.add(label);
    return `${label}: ${typeof d === 'number' ? String(d) : 'number'}`;
  });
  return `${ro ? 'readonly ' : ''}[${parts.join(', ')}]`;
};

const dataType = (dtype: string, input: boolean): string => (dtype === 'f32' ? 'Float32Array' : input ? 'Int32Array | Float32Array' : 'Float32Array');
const fmt = (name: string, t: { dtype: string; shape: readonly Dim[] }): string => safeComment(`${name}: ${t.dtype}[${t.shape.join(', ')}]`);

export const declarations = (model: Model, declared: Declared, train: boolean, shapes: readonly Record<string, number[]>[]): string => {
  const prop = (name: string, type: string, doc: string) => `  /** ${doc} */\n  readonly ${JSON.stringify(name)}: ${type};`;
  const inputsOf = (keys: readonly string[]) =>
    keys
      .map((n) => {
        const t = declared.inputs[n]!;
        return prop(n, `Tensor<${dataType(t.dtype, true)}, ${tupleType(t.shape, true)}>`, fmt(n, t));
      })
      .join('\n');
  const predictKeys = Object.keys(shapes[0] ?? {});
  const all = Object.keys(declared.inputs);
  const batchKeys = all.filter((n) => !predictKeys.includes(n) && shapes.some((s) => Object.hasOwn(s, n)));
  const outputs = Object.entries(declared.outputs)
    .map(([n, t]) => prop(n, `Tensor<Float32Array, ${tupleType(t.shape, false)}>`, fmt(n, t)))
    .join('\n');
  const compiled = shapes
    .map((s) =>
      Object.entries(s)
        .map(([k, v]) => `${k}[${v.join(', ')}]`)
        .join(' '),
    )
    .join('; ');
  return `// Types of the dlm standalone module of ${safeComment(model.name)}. Compiled for: ${safeComment(compiled)}
export interface Tensor<D extends ArrayLike<number>, S extends readonly number[]> {
  readonly data: D;
  readonly shape: S;
}

/** The inputs of predict(), by name. */
export interface Inputs {
${inputsOf(predictKeys)}
}

/** The outputs of predict(), by name (fresh arrays). */
export interface Outputs {
${outputs}
}
${
  train
    ? `
/** A training batch: the inputs and the targets. */
export interface Batch extends Inputs {
${inputsOf(batchKeys)}
}

/** One optimizer step (forward, backward, update); throws a RangeError, leaving the weights as they were, on a non-finite loss. */
export declare function step(batch: Batch): { readonly loss: number; readonly outputs: Outputs };
`
    : ''
}
/** The model's outputs; the input shapes bind the symbolic dims and pick a compiled specialization. */
export declare function predict(inputs: Inputs): Outputs;
/** Replaces the weights from safetensors bytes (a dlm checkpoint or saveWeights() output), checking every name and shape. */
export declare function setWeights(bytes: Uint8Array | ArrayBuffer): void;
/** setWeights from bytes, or from a URL fetched first. */
export declare function loadWeights(source: string | { readonly href: string } | Uint8Array | ArrayBuffer): Promise<void>;
/** The weights as safetensors bytes in dlm's checkpoint layout. */
export declare function saveWeights(): Uint8Array;
/** Copies of the weights by name (optimizer state as 'optimizer.NAME'). */
export declare function getWeights(): Record<string, Tensor<Float32Array, number[]>>;
/** Steps taken and the learning rate of the next step (settable). */
export declare const training: { readonly step: number; lr: number };
export declare const info: {
  readonly model: string;
  readonly inputs: Readonly<Record<string, { readonly role: string; readonly dtype: string; readonly shape: readonly (number | string)[] }>>;
  readonly outputs: Readonly<Record<string, { readonly dtype: string; readonly shape: readonly (number | string)[] }>>;
  readonly compiled: readonly { readonly kind: 'predict' | 'step'; readonly shapes: Readonly<Record<string, readonly number[]>> }[];
  readonly training: { readonly optimizer: string; readonly lr: number; readonly hyper: Readonly<Record<string, number>> } | null;
};
`;
};
