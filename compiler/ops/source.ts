// Ops with no tensor inputs. iota(n) = [0, 1, …, n−1] (i32), the building block of one_hot and masks.
import { forEachIndex, nd } from './ndarray.js';
import type { Dim } from '../types/types.js';
import type { OpDef } from './op.js';

export const IOTA: OpDef = {
  name: 'iota',
  arity: 0,
  attrs: { n: 'size' },
  kind: 'elementwise',
  doc: 'the integers 0 … n−1 as an i32 vector',
  shape: (_ins, a) => ({ dtype: 'i32', shape: [a['n'] as Dim] }),
  eval: (_ins, _a, out) => {
    const r = nd(out.shape);
    forEachIndex(out.shape, (flat, idx) => {
      r.data[flat] = idx[0]!;
    });
    return r;
  },
  emit: { kind: 'scalar', expr: (_args, _a, idx) => idx(0) },
  vjp: () => [],
  differentiable: false,
  gen: (k) => ({ shapes: [], attrs: { n: k.int(1, 6) } }),
  call: { params: [{ name: 'n', kind: 'size', what: 'iota length' }] },
};
