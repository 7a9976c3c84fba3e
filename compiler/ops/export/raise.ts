// For the exporters: the checker lowers conv2d to patches and a matmul (faster here, see README); other
// engines have a convolution of their own, so reshape(matmul(reshape(w), reshape(im2col(x)))) is
// written back as conv2d(x, w). Only the final reshape is replaced; the rest is left for dead-code
// elimination. Generic over the node type, so ops/ does not import ir/.
import type { Attrs } from '../op.js';

interface RaiseNode {
  readonly id: number;
  readonly op: string;
  readonly inputs: readonly number[];
  readonly attrs: Attrs;
  readonly type: { readonly shape: readonly unknown[] };
}

export const raiseConvolutions = <N extends RaiseNode>(nodes: readonly N[]): N[] => {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const is = (id: number | undefined, op: string): N | undefined => {
    const n = id === undefined ? undefined : byId.get(id);
    return n?.op === op ? n : undefined;
  };
  return nodes.map((r) => {
    const m = r.op === 'reshape' ? is(r.inputs[0], 'matmul') : undefined;
    const w2 = is(m?.inputs[0], 'reshape'),
      c3 = is(m?.inputs[1], 'reshape');
    const cols = is(c3?.inputs[0], 'im2col');
    const w4 = w2 ? byId.get(w2.inputs[0]!) : undefined;
    if (!m || !cols || !w4 || w4.type.shape.length !== 4 || r.type.shape.length !== 4 || c3!.type.shape.length !== 3 || w2!.type.shape.length !== 2) return r;
    const [, , KH, KW] = w4.type.shape,
      [kh, kw] = cols.attrs['k_hw'] as readonly number[];
    if (KH !== kh || KW !== kw) return r;
    const attrs: Attrs = { stride: cols.attrs['stride']!, pad: cols.attrs['pad']!, dilation: cols.attrs['dilation']!, groups: 1 };
    return { ...r, op: 'conv2d', inputs: [cols.inputs[0]!, w4.id], attrs };
  });
};
