// What a PyTorch export rule sees and may ask: the Python expressions of its operands, and helpers to
// make a tensor of a Python scalar, spell a shape, or convert an element type. compiler/export/torch
// implements it; the rules (one per primitive) live in torch.ts beside the op records.
import type { Dim, DType } from '../../types/types.js';
import type { ExportNodeView, ExportRule } from './rule.js';

export interface TorchEmitter {
  /** Operand i as a tensor expression (a Python scalar operand is wrapped in a tensor of its dtype). */
  tensor(i: number): string;
  /** Operand i converted to the element type `to` when its type differs (a Python scalar stays a scalar: for operators). */
  as(i: number, to: DType): string;
  /** Operand i as a tensor of element type `to` (for functions, which need tensors). */
  tensorAs(i: number, to: DType): string;
  /** A shape as a Python tuple; symbolic dims are Python ints read from the inputs' shapes. */
  shape(dims: readonly Dim[]): string;
  dim(d: Dim): string;
  /** The torch dtype of a dlm element type (`fd`, the module's float dtype, for f32). */
  dtype(t: DType): string;
}

export interface TorchNodeView extends ExportNodeView {
  /** Python expressions of the operands (tensors, or Python numbers for scalar constants). */
  readonly args: readonly string[];
}

export type TorchRule = ExportRule<TorchEmitter, TorchNodeView>;
