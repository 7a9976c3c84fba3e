// Algebraic simplification from the facts each op declares in `algebra`: identities (x+0, x·1, x/1),
// involutions (−−x), collapsing chains (reshape∘reshape, transpose∘transpose) and no-ops. A rewrite is
// applied only when the result has exactly the node's type, so broadcasting is never lost.
import { CONST, type Node } from '../ir/ir.js';
import { opDef } from '../ops/registry.js';
import { isShapeError } from '../types/shapes.js';
import { sameType } from '../types/types.js';
import type { Pass } from './pass.js';
import { rewrite } from './pass.js';

export const simplify: Pass = {
  name: 'simplify',
  doc: 'algebraic identities declared by the ops (x+0, x*1, --x, |−x|, where(true, a, b), reshape∘reshape, identity transposes)',
  run: (f) => {
    const byId = new Map<number, Node>();
    const constValue = (id: number): number | undefined => {
      const n = byId.get(id);
      if (!n) return undefined;
      if (n.op === CONST && typeof n.attrs['value'] === 'number') return n.attrs['value'];
      // broadcast/reshape of a constant is still that constant
      const def = opDef(n.op);
      return def?.kind === 'movement' && n.inputs.length === 1 ? constValue(n.inputs[0]!) : undefined;
    };
    return rewrite(f, (n) => {
      const result = ((): Node | number => {
        const def = opDef(n.op);
        const alg = def?.algebra;
        if (!def || !alg) return n;
        const same = (id: number) => sameType(byId.get(id)!.type, n.type);
        const [x, y] = n.inputs;
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
      if (typeof result !== 'number') byId.set(result.id, result);
      return result;
    });
  },
};
