// What the ONNX and PyTorch export rules have in common: a rule emits one expression for an IR node, or
// says why the op has no form in that format; and the ops that exist only in gradient programs, which
// neither format exports (ONNX consumers and PyTorch's autograd differentiate for themselves).
import type { TensorType } from '../../types/types.js';
import type { Attrs } from '../op.js';

/** The part of an IR node every export rule reads: its operands' types, its own type and attributes. */
export interface ExportNodeView {
  readonly inTypes: readonly TensorType[];
  readonly type: TensorType;
  readonly attrs: Attrs;
}

export type ExportRule<Emitter, View extends ExportNodeView> =
  | { readonly emit: (e: Emitter, n: View) => string }
  /** The op has no form in this format; the reason is shown in the diagnostic. */
  | { readonly unsupported: string };

/** Backward-only ops, each with what it is, for the message. */
const BACKWARD_ONLY: Readonly<Record<string, string>> = {
  maxpool2d_grad: 'the gradient of max pooling',
  maxpool3d_grad: 'the gradient of max pooling',
  maxpool2d_at: 'the forward-mode tangent of max pooling',
  maxpool3d_at: 'the forward-mode tangent of max pooling',
  upsample_grad: 'the gradient of upsample',
  conv2d_filter_grad: 'the filter gradient of a convolution',
  col2im: 'col2im (the gradient of convolution patches)',
  scatter_add: 'scatter_add (the gradient of gather)',
};

/** The unsupported rules of the backward-only ops, worded for one format by `why(what)`. */
export const backwardOnlyRules = (why: (what: string) => string): Record<string, { readonly unsupported: string }> =>
  Object.fromEntries(Object.entries(BACKWARD_ONLY).map(([op, what]) => [op, { unsupported: why(what) }]));
