// Builds ONNX graphs (onnx-proto's protobufjs classes) for the exporter: names, constants as
// initializers, casts, and shape tensors for symbolic dims computed from the graph inputs' shapes at
// run time (B is Shape(x)[0]; 4*H + 1 is formed with Mul and Add). One Graph per ONNX graph (the main
// graph and each Scan body); constants all live in the main graph, which a subgraph may read.
import onnxProto from 'onnx-proto';
import type { OnnxAttr, OnnxBuilder } from '../../ops/export/onnxApi.js';
import type { Dim, DType, Shape } from '../../types/types.js';

export const onnx = onnxProto.onnx;
type NodeProto = onnxProto.onnx.INodeProto;
type TensorProto = onnxProto.onnx.ITensorProto;
type AttributeProto = onnxProto.onnx.IAttributeProto;

export const ONNX_DTYPE: Readonly<Record<DType, number>> = { f32: 1, i32: 6, bool: 9 };
const INT64 = 7;

/** State shared by every graph of one model: the name counter and the main graph's initializers. */
export class ModelState {
  private counter = 0;
  readonly initializers: TensorProto[] = [];
  private readonly intCache = new Map<string, string>();
  fresh(hint: string): string {
    return `${hint}:${this.counter++}`;
  }

  ints(values: readonly number[]): string {
    const key = values.join(',');
    const hit = this.intCache.get(key);
    if (hit) return hit;
    const raw = new BigInt64Array(values.map((v) => BigInt(v)));
    const name = this.fresh('ints');
    this.initializers.push({ name, dataType: INT64, dims: [values.length], rawData: new Uint8Array(raw.buffer) });
    this.intCache.set(key, name);
    return name;
  }

  tensor(name: string, values: ArrayLike<number>, dtype: DType, shape: readonly number[]): string {
    const raw =
      dtype === 'f32'
        ? new Uint8Array(Float32Array.from(values).buffer)
        : dtype === 'i32'
          ? new Uint8Array(Int32Array.from(values).buffer)
          : Uint8Array.from(values, (v) => (v !== 0 ? 1 : 0));
    this.initializers.push({ name, dataType: ONNX_DTYPE[dtype], dims: [...shape], rawData: raw });
    return name;
  }
}

/** Where a symbolic dim's value can be read: a tensor and the axis that has exactly this dim. */
export interface DimSource {
  readonly tensor: string;
  readonly axis: number;
}

/** A symbolic dim that no graph input has on an axis of its own (so it cannot be read at run time). */
export class DimError extends Error {}

export const attr = (name: string, v: OnnxAttr): AttributeProto => {
  if (typeof v === 'number') return { name, type: 2, i: v };
  if (typeof v === 'string') return { name, type: 3, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: 7, ints: [...(v as number[])] };
  if ('float' in (v as object)) return { name, type: 1, f: (v as { float: number }).float };
  return { name, type: 6, floats: [...(v as { floats: number[] }).floats] };
};

export class Graph implements OnnxBuilder {
  readonly nodes: NodeProto[] = [];
  /** The .dlm location written as the doc_string of the nodes added now. */
  doc = '';
  private readonly dimCache = new Map<string, string>();

  constructor(
    readonly model: ModelState,
    readonly dimSources: ReadonlyMap<string, DimSource>,
    private readonly parent?: Graph,
  ) {}

  node(opType: string, inputs: readonly string[], attrs: Readonly<Record<string, OnnxAttr>> = {}, outputs = 1): string[] {
    const out = [...Array(outputs)].map(() => this.model.fresh(opType));
    this.nodes.push({
      opType,
      input: [...inputs],
      output: out,
      name: this.model.fresh(`node_${opType}`),
      docString: this.doc,
      attribute: Object.entries(attrs).map(([k, v]) => attr(k, v)),
    });
    return out;
  }

  /** A node whose attributes are given as protos (a Scan with its body). */
  raw(opType: string, inputs: readonly string[], attribute: AttributeProto[], outputs: readonly string[]): void {
    this.nodes.push({ opType, input: [...inputs], output: [...outputs], name: this.model.fresh(`node_${opType}`), docString: this.doc, attribute });
  }

  ints(values: readonly number[]): string {
    return this.model.ints(values);
  }

  constant(values: readonly number[], dtype: DType, shape: readonly number[] = []): string {
    return this.model.tensor(this.model.fresh('const'), values, dtype, shape);
  }

  cast(name: string, from: DType, to: DType): string {
    return from === to ? name : this.node('Cast', [name], { to: ONNX_DTYPE[to] })[0]!;
  }

  dims(dims: Shape): string {
    if (dims.every((d) => typeof d === 'number')) return this.ints(dims as number[]);
    return this.node(
      'Concat',
      dims.map((d) => this.dim(d)),
      { axis: 0 },
    )[0]!;
  }

  private cached(key: string): string | undefined {
    return this.dimCache.get(key) ?? this.parent?.cached(key);
  }

  /** One dim as a [1] int64 tensor: Σ coefficient · Π variables over its canonical polynomial form. */
  private dim(d: Dim): string {
    if (typeof d === 'number') return this.ints([d]);
    const hit = this.cached(d);
    if (hit) return hit;
    let sum: string | undefined;
    for (const term of d.split(' + ')) {
      let coef = 1;
      let prod: string | undefined;
      for (const f of term.split('*')) {
        if (/^-?\d+$/.test(f)) {
          coef *= Number(f);
          continue;
        }
        const v = this.variable(f);
        prod = prod ? this.node('Mul', [prod, v])[0]! : v;
      }
      const t = !prod ? this.ints([coef]) : coef === 1 ? prod : this.node('Mul', [prod, this.ints([coef])])[0]!;
      sum = sum ? this.node('Add', [sum, t])[0]! : t;
    }
    this.dimCache.set(d, sum!);
    return sum!;
  }

  private variable(name: string): string {
    const hit = this.cached(`var ${name}`);
    if (hit) return hit;
    const src = this.dimSources.get(name);
    if (!src) throw new DimError(name);
    const [v] = this.node('Shape', [src.tensor], { start: src.axis, end: src.axis + 1 });
    this.dimCache.set(`var ${name}`, v!);
    return v!;
  }
}

/** An ONNX value type: element type and shape, symbolic dims as dim_param with the .dlm name. */
export const valueInfo = (name: string, dtype: DType, shape: Shape): onnxProto.onnx.IValueInfoProto => ({
  name,
  type: {
    tensorType: {
      elemType: ONNX_DTYPE[dtype],
      shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d.replace(/ /g, '') })) },
    },
  },
});
