// Algebraic simplification from the facts each op declares in `algebra`: identities (x+0, x·1, x/1),
// involutions (−−x), collapsing chains (reshape∘reshape, transpose∘transpose) and no-ops. A rewrite is
// applied only when the result has exactly the node's type, so broadcasting is never lost.
import { nextNodeId, type Node } from '../ir/ir.js';
import { opDef } from '../ops/registry.js';
import { isShapeError } from '../types/shapes.js';
import { sameType } from '../types/types.js';
import { dimAdd, dimSub, type Dim } from '../types/dims.js';
import type { Pass } from './pass.js';
import { constantLike, constantThroughViews, rewrite } from './pass.js';

/** Same dims, as far as the dim algebra can tell. */
const eqDim = (a: Dim, b: Dim): boolean => dimSub(a, b) === 0;
/** [a, a + n) and [b, b + m) share no index (numbers only; unknown counts as overlapping). */
const disjoint = (a: Dim, n: Dim, b: Dim, m: Dim): boolean => {
  const [x, y] = [dimSub(dimAdd(a, n), b), dimSub(dimAdd(b, m), a)];
  return (typeof x === 'number' && x <= 0) || (typeof y === 'number' && y <= 0);
};

export const simplify: Pass = {
  name: 'simplify',
  doc: 'algebraic identities declared by the ops (x+0, x*1, x−x, --x, |−x|, where(true, a, b), reshape∘reshape, identity transposes)',
  run: (f) => {
    const byId = new Map<number, Node>();
    // broadcast/reshape of a constant is still that constant
    const constValue = (id: number): number | undefined => constantThroughViews((i) => byId.get(i), id);
    let fresh = nextNodeId(f.nodes);
    return rewrite(f, (n) => {
      const result = ((): Node | number | Node[] => {
        const def = opDef(n.op);
        const alg = def?.algebra;
        if (!def || !alg) return n;
        const same = (id: number) => sameType(byId.get(id)!.type, n.type);
        const [x, y] = n.inputs;
        if (alg.sameOperands !== undefined && x !== undefined && x === y && n.type.dtype === 'f32') {
          // x − x = 0 (for finite x; an infinite or NaN x would give NaN)
          return constantLike(n, alg.sameOperands, fresh++);
        }
        const picked = alg.pick?.(n.inputs.map(constValue));
        if (picked !== undefined && same(n.inputs[picked]!)) return n.inputs[picked]!;
        if (alg.identity && x !== undefined && y !== undefined) {
          if (alg.identity.right !== undefined && constValue(y) === alg.identity.right && same(x)) return x;
          if (alg.identity.left !== undefined && constValue(x) === alg.identity.left && same(y)) return y;
        }
        if (n.inputs.length !== 1 || x === undefined) return n;
        if (alg.identity_eval && same(x)) return x;
        const inner = byId.get(x)!;
        if (alg.noop?.(inner.type, n.attrs) && same(x)) return x;
        // A window of a padding or concatenation that is exactly one of its pieces is that piece; one
        // that misses every piece is the fill value (states[0] of a stacked scan, and its gradient).
        const regions = opDef(inner.op)?.algebra?.regions;
        if (alg.window && regions) {
          const at = alg.window(inner.type, n.attrs);
          const pieces = regions(
            inner.inputs.map((i) => byId.get(i)!.type),
            inner.attrs,
          );
          const hit = pieces.findIndex((p, k) => p.every((d, i) => eqDim(d, at[i]!)) && sameType(byId.get(inner.inputs[k]!)!.type, n.type));
          if (hit >= 0) return inner.inputs[hit]!;
          const pieceEmit = opDef(inner.op)!.emit;
          const fill = pieceEmit.kind === 'pieces' ? pieceEmit.fill : undefined;
          const misses = pieces.every((p, k) => p.some((d, i) => disjoint(at[i]!, n.type.shape[i]!, d, byId.get(inner.inputs[k]!)!.type.shape[i]!)));
          if (fill !== undefined && misses && n.type.dtype !== 'bool') return constantLike(n, fill, fresh++);
        }
        if (alg.even && opDef(inner.op)?.algebra?.negation) return { ...n, inputs: [inner.inputs[0]!] };
        if (inner.op !== n.op) return n;
        if (alg.involution && same(inner.inputs[0]!)) return inner.inputs[0]!;
        if (alg.collapse) {
          const attrs = alg.collapse(inner.attrs, n.attrs);
          const src = byId.get(inner.inputs[0]!)!;
          const t = def.shape([src.type], attrs);
          if (!isShapeError(t) && sameType(t, n.type)) {
            return alg.noop?.(src.type, attrs) && sameType(src.type, n.type) ? src.id : { ...n, inputs: [src.id], attrs };
          }
        }
        return n;
      })();
      if (Array.isArray(result))
        result.forEach((r) => {
          byId.set(r.id, r);
        });
      else if (typeof result !== 'number') byId.set(result.id, result);
      return result;
    });
  },
};
