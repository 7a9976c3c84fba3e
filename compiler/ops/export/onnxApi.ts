// What an ONNX export rule may do: add nodes to the graph being built. compiler/export/onnx implements
// it, so the rules (one per primitive, beside the op records) never import the exporter.
import type { Dim, DType } from '../../types/types.js';
import type { ExportNodeView, ExportRule } from './rule.js';

/** An ONNX attribute value: ints, floats, strings, lists of ints, or a tensor's flat data. */
export type OnnxAttr = number | string | readonly number[] | { readonly float: number } | { readonly floats: readonly number[] };

export interface OnnxBuilder {
  /** Adds a node; returns the names of its `outputs` results. The node's doc_string is the IR node's .dlm location. */
  node(opType: string, inputs: readonly string[], attrs?: Readonly<Record<string, OnnxAttr>>, outputs?: number): string[];
  /** A constant 1-D int64 tensor. */
  ints(values: readonly number[]): string;
  /** A constant scalar (or flat tensor of the given shape) of a dlm element type. */
  constant(values: readonly number[], dtype: DType, shape?: readonly number[]): string;
  /** A 1-D int64 tensor holding these dims: constants where they are numbers, read from the inputs' shapes where symbolic. */
  dims(dims: readonly Dim[]): string;
  /** `name` converted from one dlm element type to another (unchanged if equal). */
  cast(name: string, from: DType, to: DType): string;
}

/** The IR node an export rule translates: ONNX names of its inputs, their types, its own type and attributes. */
export interface OnnxNodeView extends ExportNodeView {
  readonly inputs: readonly string[];
}

export type OnnxRule = ExportRule<OnnxBuilder, OnnxNodeView>;
