// ONNX export: a model's inference program as an ONNX model (opset 18). Inputs keep their .dlm names
// and symbolic dims (dim_param B, T, …), parameters and state are initializers named by their paths
// (l1.W, bn.running_mean), each node's doc_string is the .dlm location it came from, and `scan` is an
// ONNX Scan whose body is a subgraph. The per-op rules are in compiler/ops/export/onnx.ts.
import * as E from 'fp-ts/lib/Either.js';
import type onnxProto from 'onnx-proto';
import type { Model } from '../../api/model.js';
import { error, note } from '../../diagnostics/codes.js';
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { CONST, INPUT, inputName, inputRole, type IrFunction, type Node } from '../../ir/ir.js';
import { SCAN, SCAN_OUT, outWindow, scanInfo, type Window } from '../../ir/scan.js';
import { onnxRule } from '../../ops/export/onnx.js';
import type { DType } from '../../types/types.js';
import { allNodes, inferenceFunction, location } from '../prepare.js';
import { DimError, Graph, ModelState, ONNX_DTYPE, attr, onnx, valueInfo, type DimSource } from './graph.js';

export const ONNX_OPSET = 18;

export interface OnnxExportOptions {
  /** Which outputs to export (default: all of the model's outputs). */
  readonly outputs?: readonly string[];
  readonly producerVersion?: string;
}

/** Diagnostics for every op of f that has no ONNX form (E0801), before anything is built. */
const unsupported = (f: IrFunction): Diagnostic[] =>
  allNodes(f).flatMap((n) => {
    if (n.op === INPUT || n.op === CONST || n.op === SCAN || n.op === SCAN_OUT) return [];
    const rule = onnxRule(n.op);
    if (rule && 'emit' in rule) return [];
    const why = rule ? rule.unsupported : 'no ONNX export rule is defined for it (compiler/ops/export/onnx.ts)';
    return [error('E0801', n.span, `cannot export '${n.op}' to ONNX: ${why}`, [note(`at ${location(n.span) || 'a generated node'}`)])];
  });

/** The nodes of a graph and of every subgraph inside it. */
export const allOnnxNodes = (nodes: readonly onnxProto.onnx.INodeProto[]): onnxProto.onnx.INodeProto[] =>
  nodes.flatMap((n) => [n, ...(n.attribute ?? []).flatMap((a) => (a.g ? allOnnxNodes(a.g.node ?? []) : []))]);

class Exporter {
  readonly state = new ModelState();
  /** The node being translated (for the location of an E0802). */
  current: Node | undefined;
  constructor(
    private readonly f: IrFunction,
    private readonly tensorOf: (name: string, role: 'param' | 'state') => Float32Array,
  ) {}

  /** Translates f's nodes into g; `names` maps IR ids to ONNX value names (filled in as it goes). */
  emit(g: Graph, f: IrFunction, names: Map<number, string>): void {
    const windows = new Map<number, Set<Window>>();
    for (const n of f.nodes) if (n.op === SCAN_OUT) windows.set(n.inputs[0]!, (windows.get(n.inputs[0]!) ?? new Set()).add(outWindow(n).window));
    const scans = new Map<number, Map<string, string>>();
    for (const n of f.nodes) {
      this.current = n;
      g.doc = location(n.span);
      if (n.op === INPUT) {
        if (!names.has(n.id)) names.set(n.id, this.input(n));
        continue;
      }
      if (n.op === CONST) {
        names.set(n.id, this.constant(g, n));
        continue;
      }
      if (n.op === SCAN) {
        scans.set(n.id, this.scan(g, n, names, windows.get(n.id) ?? new Set()));
        continue;
      }
      if (n.op === SCAN_OUT) {
        const { index, window } = outWindow(n);
        names.set(n.id, scans.get(n.inputs[0]!)!.get(`${window}${index}`)!);
        continue;
      }
      const rule = onnxRule(n.op) as { emit: (g: Graph, v: unknown) => string };
      const ins = n.inputs.map((i) => names.get(i)!);
      names.set(n.id, rule.emit(g, { inputs: ins, inTypes: n.inputs.map((i) => this.typeOf(f, i)), type: n.type, attrs: n.attrs }));
    }
  }

  private readonly types = new WeakMap<IrFunction, Map<number, Node>>();
  private typeOf(f: IrFunction, id: number) {
    let m = this.types.get(f);
    if (!m) {
      m = new Map(f.nodes.map((n) => [n.id, n]));
      this.types.set(f, m);
    }
    return m.get(id)!.type;
  }

  /** Parameters and state become initializers; inputs are graph inputs (collected in `run`). */
  private input(n: Node): string {
    const name = inputName(n),
      role = inputRole(n);
    if (role === 'param' || role === 'state') {
      return this.state.tensor(name, this.tensorOf(name, role), 'f32', n.type.shape as number[]);
    }
    return name;
  }

  private constant(g: Graph, n: Node): string {
    const v = n.attrs['value'] as number | string,
      dtype = n.type.dtype;
    if (typeof v === 'number') return g.constant([v], dtype);
    const [s] = g.node('Squeeze', [g.dims([v]), g.ints([0])]);
    return g.node('Cast', [s!], { to: ONNX_DTYPE[dtype] })[0]!;
  }

  /** An ONNX Scan; returns the ONNX names of its windows ('after0', 'last1', …). */
  private scan(g: Graph, n: Node, names: Map<number, string>, windows: ReadonlySet<Window>): Map<string, string> {
    const s = scanInfo(n);
    const body = new Graph(this.state, g.dimSources, g);
    const bodyNames = new Map<number, string>();
    const inputs: onnxProto.onnx.IValueInfoProto[] = [];
    const carryIn: string[] = [];
    const byName = new Map(s.body.nodes.filter((b) => b.op === INPUT).map((b) => [inputName(b), b]));
    const declare = (key: string, type: { dtype: DType; shape: readonly (number | string)[] }) => {
      const name = this.state.fresh(key);
      inputs.push(valueInfo(name, type.dtype, type.shape));
      const b = byName.get(key);
      if (b) bodyNames.set(b.id, name);
      return name;
    };
    for (let i = 0; i < s.carries; i++) carryIn.push(declare(`c${i}`, byName.get(`c${i}`)?.type ?? this.typeOf(this.f, n.inputs[i]!)));
    for (let i = 0; i < s.xs; i++) {
      const outer = this.typeOf(this.f, n.inputs[s.carries + i]!);
      declare(`x${i}`, byName.get(`x${i}`)?.type ?? { dtype: outer.dtype, shape: outer.shape.slice(1) });
    }
    if (s.xs === 0) declare('steps', { dtype: 'f32', shape: [] });
    n.inputs.slice(s.carries + s.xs).forEach((id, i) => {
      const b = byName.get(`k${i}`);
      if (b) bodyNames.set(b.id, names.get(id)!);
    });
    this.emit(body, s.body, bodyNames);
    const outputs: onnxProto.onnx.IValueInfoProto[] = [];
    const results = new Map<string, string>();
    const finals: string[] = [],
      stacked: string[] = [];
    const out = (from: string, dtype: DType, shape: readonly (number | string)[]) => {
      const [o] = body.node('Identity', [from]);
      outputs.push(valueInfo(o!, dtype, shape));
    };
    s.body.outputs.forEach((o, i) => {
      const t = this.typeOf(s.body, o.id);
      out(bodyNames.get(o.id)!, t.dtype, t.shape);
      finals.push(this.state.fresh(`last${i}`));
      results.set(`last${i}`, finals[i]!);
    });
    for (const w of ['after', 'before'] as const) {
      if (!windows.has(w)) continue;
      s.body.outputs.forEach((o, i) => {
        const t = this.typeOf(s.body, o.id);
        out(w === 'after' ? bodyNames.get(o.id)! : carryIn[i]!, t.dtype, t.shape);
        const name = this.state.fresh(`${w}${i}`);
        stacked.push(name);
        results.set(`${w}${i}`, name);
      });
    }
    const graph: onnxProto.onnx.IGraphProto = { name: this.state.fresh('scan_body'), node: body.nodes, input: inputs, output: outputs };
    const seqs = s.xs === 0 ? [g.node('ConstantOfShape', [g.dims([s.length])])[0]!] : n.inputs.slice(s.carries, s.carries + s.xs).map((id) => names.get(id)!);
    g.doc = location(n.span);
    const dirs = (k: number) => [...Array(k)].map(() => (s.reverse ? 1 : 0));
    g.raw(
      'Scan',
      [...n.inputs.slice(0, s.carries).map((id) => names.get(id)!), ...seqs],
      [
        { name: 'body', type: 5, g: graph },
        attr('num_scan_inputs', seqs.length),
        attr('scan_input_directions', dirs(seqs.length)),
        ...(stacked.length ? [attr('scan_output_directions', dirs(stacked.length))] : []),
      ],
      [...finals, ...stacked],
    );
    return results;
  }

  run(name: string, doc: string, producerVersion: string): Uint8Array {
    const f = this.f;
    const graphInputs = f.nodes.filter((n) => n.op === INPUT && inputRole(n) !== 'param' && inputRole(n) !== 'state');
    const sources = new Map<string, DimSource>();
    for (const n of graphInputs)
      n.type.shape.forEach((d, axis) => {
        if (typeof d === 'string' && /^\w+$/.test(d) && !sources.has(d)) sources.set(d, { tensor: inputName(n), axis });
      });
    const g = new Graph(this.state, sources);
    const names = new Map<number, string>();
    this.emit(g, f, names);
    const outputs = f.outputs.map((o) => {
      const t = this.typeOf(f, o.id);
      g.doc = location(f.nodes.find((n) => n.id === o.id)!.span);
      g.raw('Identity', [names.get(o.id)!], [], [o.name]);
      return valueInfo(o.name, t.dtype, t.shape);
    });
    // parameters no exported output reads (a GAN's discriminator) are left out
    const used = new Set(allOnnxNodes(g.nodes).flatMap((n) => n.input ?? []));
    const initializer = this.state.initializers.filter((t) => used.has(t.name!));
    const m = onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: ONNX_OPSET }],
      producerName: 'dlm',
      producerVersion,
      docString: doc,
      graph: {
        name,
        node: g.nodes,
        initializer,
        input: graphInputs.map((n) => valueInfo(inputName(n), n.type.dtype, n.type.shape)),
        output: outputs,
      },
    });
    return onnx.ModelProto.encode(m).finish();
  }
}

/** The model's inference program as ONNX protobuf bytes, or diagnostics (E08xx) saying what cannot be exported. */
export const exportOnnx = (model: Model, opts: OnnxExportOptions = {}): E.Either<readonly Diagnostic[], Uint8Array> => {
  const missing = (opts.outputs ?? []).filter((o) => !model.ir.outputs.includes(o));
  if (missing.length)
    return E.left([error('E0803', model.ir.span, `model ${model.name} has no output '${missing[0]}'`, [note(`outputs: ${model.ir.outputs.join(', ')}`)])]);
  return exportOnnxFunction(inferenceFunction(model, opts.outputs), {
    name: model.name,
    doc: `${model.name} exported by dlm from ${location(model.ir.span)}`,
    producerVersion: opts.producerVersion ?? '',
    tensor: (name, role) => (role === 'param' ? model.params[name]! : model.states[name]!),
  });
};

export interface OnnxFunctionOptions {
  readonly name: string;
  readonly doc?: string;
  readonly producerVersion?: string;
  /** The values of a parameter or state input (written as an initializer). */
  readonly tensor?: (name: string, role: 'param' | 'state') => Float32Array;
}

/** Any IR function (inputs become graph inputs, parameters initializers) as ONNX bytes, or E08xx diagnostics. */
export const exportOnnxFunction = (f: IrFunction, o: OnnxFunctionOptions): E.Either<readonly Diagnostic[], Uint8Array> => {
  const bad = unsupported(f);
  if (bad.length) return E.left(bad);
  const x = new Exporter(
    f,
    o.tensor ??
      ((name) => {
        throw new Error(`no values for parameter ${name}`);
      }),
  );
  try {
    return E.right(x.run(o.name, o.doc ?? '', o.producerVersion ?? ''));
  } catch (e) {
    if (!(e instanceof DimError)) throw e;
    const span = x.current?.span ?? null;
    return E.left([
      error(
        'E0802',
        span,
        `cannot export ${o.name} to ONNX: the size '${e.message}' is not the size of an axis of any input, so it cannot be read at run time`,
      ),
    ]);
  }
};
