// Random numbers inside compiled models. uniform(key) fills its shape with values in [0, 1) that are a
// pure function of (key, stream, element index): counter-based, like JAX's PRNG keys, so results do not
// depend on evaluation order, and the interpreter and generated code agree bit for bit.
// The key is a run-time scalar (the trainer passes seed and step); `stream` separates call sites.
import { call, num, type Expr } from '../loops/loops.js';
import type { Dim } from '../types/types.js';
import { MATH } from './math.js';
import { forEachIndex, nd } from './ndarray.js';
import type { OpDef } from './op.js';

/** murmur3-style finalizer over the three 32-bit words; returns a uniform double in [0, 1) (ops/math.ts). */
export const uniformHash = MATH.uniform.impl;

export const UNIFORM: OpDef = {
  name: 'uniform',
  arity: 1,
  attrs: { shape: 'dims', stream: 'int' },
  internal: true,
  kind: 'elementwise',
  doc: 'uniform(key): a tensor of the given shape with values in [0, 1), determined by (key, stream, index)',
  shape: ([key], a) =>
    key!.shape.length === 0
      ? { dtype: 'f32', shape: a['shape'] as readonly Dim[] }
      : { kind: 'ShapeError', reason: 'the key of uniform must be a scalar', operand: 0 },
  eval: ([key], a, out) => {
    const r = nd(out.shape);
    const stream = a['stream'] as number;
    forEachIndex(out.shape, (flat) => {
      r.data[flat] = uniformHash(key!.data[0]!, stream, flat);
    });
    return r;
  },
  emit: {
    kind: 'scalar',
    expr: ([key], a, idx, shape) => {
      // the element's flat index in this node's own row-major layout
      let flat: Expr = num(0);
      let stride = 1;
      for (let d = shape.length - 1; d >= 0; d--) {
        flat = { k: 'bin', op: '+', a: flat, b: { k: 'bin', op: '*', a: idx(d), b: num(stride) } };
        stride *= shape[d]!;
      }
      return call('uniform', key!, num(a['stream'] as number), flat);
    },
  },
  vjp: () => [null],
  differentiable: false,
  gen: (k) => ({ shapes: [[]], attrs: { shape: k.shape(0, 3, 4), stream: k.int(0, 5) } }),
};
