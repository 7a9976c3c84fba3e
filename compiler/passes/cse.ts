// Common-subexpression elimination by hash-consing (op, inputs, attrs). Forward values recomputed by the
// gradient program (e.g. a vjp asking for tanh(x) again) collapse onto the forward node.
import { INPUT } from '../ir/ir.js';
import type { Pass } from './pass.js';
import { rewrite } from './pass.js';

/**
 * A number as a key that tells every value apart: JSON.stringify writes NaN, ±Infinity as `null` and
 * −0 as `0`, which would merge the constants 1/0, −1/0, 0/0 (and 0 with −0). String(v) is exact for
 * every other double; the '#' tag keeps numbers apart from string attributes.
 */
const numberKey = (v: number): string => `#${Object.is(v, -0) ? '-0' : String(v)}`;

/** Attributes as a string that is equal exactly when the attributes are (numbers compared by value and sign of zero, NaN = NaN). */
export const attrsKey = (attrs: unknown): string => JSON.stringify(attrs, (_k, v: unknown) => (typeof v === 'number' ? numberKey(v) : v));

export const cse: Pass = {
  name: 'cse',
  doc: 'merge identical nodes (same op, inputs and attributes)',
  run: (f) => {
    const seen = new Map<string, number>();
    return rewrite(f, (n) => {
      if (n.op === INPUT) return n;
      const key = `${n.op}|${n.inputs.join(',')}|${attrsKey(n.attrs)}|${n.type.dtype}`;
      const prev = seen.get(key);
      if (prev !== undefined) return prev;
      seen.set(key, n.id);
      return n;
    });
  },
};
