// Writes IR as Python statements for the generated nn.Module: one statement per node, named by the
// .dlm binding where it has one, each ending in its .dlm location; `scan` becomes a Python loop. The
// per-op expressions come from compiler/ops/export/torch.ts.
import { RANDOM_KEY, TRAINING_FLAG } from '../../check/hypers.js';
import { CONST, INPUT, inputName, inputRole, type IrFunction, type Node } from '../../ir/ir.js';
import { SCAN, SCAN_OUT, outWindow, scanInfo, type Window } from '../../ir/scan.js';
import { torchRule } from '../../ops/export/torch.js';
import type { TorchEmitter } from '../../ops/export/torchApi.js';
import type { Dim, DType, TensorType } from '../../types/types.js';
import { location } from '../prepare.js';

const KEYWORDS = new Set(
  (
    'False None True and as assert async await break class continue def del elif else except finally for from global if import in is ' +
    'lambda nonlocal not or pass raise return try while with yield self torch F nn math fd dev training'
  ).split(' '),
);

export const isPyName = (s: string): boolean => /^[A-Za-z_]\w*$/.test(s) && !KEYWORDS.has(s);

/** A parameter or buffer by its dotted path: `self.l1.W`, or get_parameter when a segment is not a plain name. */
export const selfPath = (path: string, buffer: boolean): string =>
  path.split('.').every(isPyName) ? `self.${path}` : `self.get_${buffer ? 'buffer' : 'parameter'}(${JSON.stringify(path)})`;

/** A Python literal for a number of a dlm element type. */
export const pyNumber = (v: number, dtype: DType): string => {
  if (Number.isNaN(v)) return 'math.nan';
  if (!Number.isFinite(v)) return v > 0 ? 'math.inf' : '-math.inf';
  if (dtype !== 'f32') return String(Math.trunc(v));
  return Number.isInteger(v) && Math.abs(v) < 1e16 ? `${v}.0` : String(v);
};

/** A value: a Python expression, and whether it is a Python number rather than a tensor. */
interface Val {
  readonly py: string;
  readonly scalar: boolean;
  readonly type: TensorType;
}

/** A symbolic dim the method can read: `B = x.shape[0]`. */
export interface DimSource {
  readonly arg: string;
  readonly axis: number;
}

export class DimUnavailable extends Error {}

export class MethodWriter {
  readonly lines: string[] = [];
  private readonly taken = new Set<string>();
  private readonly dimsUsed = new Map<string, string>();
  current: Node | undefined;
  private lastLine = '';

  constructor(
    private readonly dimSources: ReadonlyMap<string, DimSource>,
    private readonly sourceLine: (n: Node) => string | undefined,
    args: readonly string[],
  ) {
    args.forEach((a) => {
      this.taken.add(a);
    });
  }

  /** A fresh Python name from a hint (a .dlm binding name when there is one). */
  fresh(hint: string): string {
    const base = isPyName(hint) ? hint : `v_${hint.replace(/\W/g, '_')}`;
    let name = base,
      k = 1;
    while (this.taken.has(name) || KEYWORDS.has(name)) name = `${base}_${k++}`;
    this.taken.add(name);
    return name;
  }

  /** The lines reading the symbolic dims this method used, to go first. */
  header(): string[] {
    return [...this.dimsUsed].map(([name, py]) => `${py} = ${this.dimSources.get(name)!.arg}.shape[${this.dimSources.get(name)!.axis}]`);
  }

  dim(d: Dim): string {
    if (typeof d === 'number') return String(d);
    const py = d
      .replace(/[A-Za-z_]\w*/g, (v) => {
        if (!this.dimSources.has(v)) throw new DimUnavailable(v);
        if (!this.dimsUsed.has(v)) this.dimsUsed.set(v, this.fresh(v));
        return this.dimsUsed.get(v)!;
      })
      .replace(/\*/g, ' * ');
    // a product or sum is parenthesized, so it stays one operand wherever it is written
    return /^\w+$/.test(py) ? py : `(${py})`;
  }

  /** Emits f's nodes at this indentation; `vals` maps IR ids to values (inputs pre-bound by the caller). */
  emit(f: IrFunction, vals: Map<number, Val>, indent: string, bind: (n: Node) => Val): void {
    const windows = new Map<number, Set<Window>>();
    for (const n of f.nodes) if (n.op === SCAN_OUT) windows.set(n.inputs[0]!, (windows.get(n.inputs[0]!) ?? new Set()).add(outWindow(n).window));
    const scans = new Map<number, Map<string, string>>();
    const types = new Map(f.nodes.map((n) => [n.id, n.type]));
    for (const n of f.nodes) {
      this.current = n;
      if (n.op === INPUT) {
        if (!vals.has(n.id)) vals.set(n.id, bind(n));
        continue;
      }
      if (n.op === CONST) {
        const v = n.attrs['value'] as number | string;
        vals.set(n.id, { py: typeof v === 'number' ? pyNumber(v, n.type.dtype) : this.dim(v), scalar: true, type: n.type });
        continue;
      }
      if (n.op === SCAN) {
        scans.set(n.id, this.scan(n, vals, indent, windows.get(n.id) ?? new Set(), bind));
        continue;
      }
      if (n.op === SCAN_OUT) {
        const { index, window } = outWindow(n);
        vals.set(n.id, { py: scans.get(n.inputs[0]!)!.get(`${window}${index}`)!, scalar: false, type: n.type });
        continue;
      }
      const rule = torchRule(n.op) as { emit: (py: TorchEmitter, v: unknown) => string };
      const ins = n.inputs.map((i) => vals.get(i)!);
      const expr = rule.emit(this.emitter(ins), {
        args: ins.map((v) => v.py),
        inTypes: n.inputs.map((i) => types.get(i) ?? vals.get(i)!.type),
        type: n.type,
        attrs: n.attrs,
      });
      const name = this.fresh(n.label ?? `t${n.id}`);
      this.statement(indent, `${name} = ${expr}`, n);
      // arithmetic on Python numbers (a count of elements minus one) stays a Python number
      vals.set(n.id, { py: name, scalar: ins.length > 0 && ins.every((v) => v.scalar) && n.type.shape.length === 0, type: n.type });
    }
  }

  /** A statement ending in its .dlm location; a new line of the user's file is shown above it once. */
  statement(indent: string, text: string, n: Node): void {
    const loc = location(n.span);
    const src = this.sourceLine(n);
    const line = loc.replace(/:\d+$/, '');
    if (src && line !== this.lastLine) this.lines.push(`${indent}# ${line}: ${src.trim()}`);
    this.lastLine = line;
    this.lines.push(loc ? `${indent}${text}  # ${loc}` : `${indent}${text}`);
  }

  private emitter(ins: readonly Val[]): TorchEmitter {
    const dtype = (t: DType) => (t === 'f32' ? 'fd' : t === 'i32' ? 'torch.long' : 'torch.bool');
    const tensor = (i: number) => (ins[i]!.scalar ? `torch.tensor(${ins[i]!.py}, dtype=${dtype(ins[i]!.type.dtype)}, device=dev)` : ins[i]!.py);
    return {
      tensor,
      tensorAs: (i, to) =>
        ins[i]!.scalar
          ? `torch.tensor(${ins[i]!.py}, dtype=${dtype(to)}, device=dev)`
          : ins[i]!.type.dtype === to
            ? ins[i]!.py
            : to === 'bool'
              ? `(${ins[i]!.py} != 0)`
              : `${ins[i]!.py}.to(${dtype(to)})`,
      as: (i, to) => {
        const v = ins[i]!;
        if (v.type.dtype === to) return v.py;
        if (v.scalar) return to === 'bool' ? `(${v.py} != 0)` : v.py;
        return to === 'bool' ? `(${v.py} != 0)` : `${v.py}.to(${dtype(to)})`;
      },
      shape: (ds) => (ds.length === 1 ? `(${this.dim(ds[0]!)},)` : `(${ds.map((d) => this.dim(d)).join(', ')})`),
      dim: (d) => this.dim(d),
      dtype,
    };
  }

  /** A scan as a Python loop; returns the Python names of its windows ('after0', 'last1', …). */
  private scan(n: Node, vals: Map<number, Val>, indent: string, windows: ReadonlySet<Window>, bind: (n: Node) => Val): Map<string, string> {
    const s = scanInfo(n);
    const carries = [...Array(s.carries).keys()].map((i) => this.fresh(`carry${i}`));
    const inner = indent + '    ';
    const T = this.dim(s.length);
    const stacks = new Map<string, string>();
    this.statement(
      indent,
      `${carries.join(', ')}${carries.length === 1 ? ',' : ''} = ${n.inputs
        .slice(0, s.carries)
        .map((id) => vals.get(id)!.py)
        .join(', ')}${carries.length === 1 ? ',' : ''}`,
      n,
    );
    for (const w of ['after', 'before'] as const) {
      if (!windows.has(w)) continue;
      carries.forEach((_, i) => {
        const name = this.fresh(`${w}${i}`);
        stacks.set(`${w}${i}`, name);
        this.lines.push(`${indent}${name} = []`);
      });
    }
    const step = this.fresh(s.reverse ? 'step' : 't'),
      t = s.reverse ? this.fresh('t') : step;
    this.lines.push(`${indent}for ${step} in range(${T}):`);
    if (s.reverse) this.lines.push(`${inner}${t} = ${T} - 1 - ${step}`);
    if (s.truncate)
      this.lines.push(
        `${inner}if ${step} > 0 and ${step} % ${s.truncate} == 0:  # truncated backpropagation through time`,
        `${inner}    ${carries.map((c) => `${c} = ${c}.detach()`).join('; ')}`,
      );
    if (windows.has('before'))
      carries.forEach((c, i) => {
        this.lines.push(`${inner}${stacks.get(`before${i}`)}.append(${c})`);
      });
    const body = new Map<number, Val>();
    const byName = new Map(s.body.nodes.filter((b) => b.op === INPUT).map((b) => [inputName(b), b]));
    carries.forEach((c, i) => {
      const b = byName.get(`c${i}`);
      if (b) body.set(b.id, { py: c, scalar: false, type: b.type });
    });
    n.inputs.slice(s.carries, s.carries + s.xs).forEach((id, i) => {
      const b = byName.get(`x${i}`);
      if (b) body.set(b.id, { py: `${vals.get(id)!.py}[${t}]`, scalar: false, type: b.type });
    });
    n.inputs.slice(s.carries + s.xs).forEach((id, i) => {
      const b = byName.get(`k${i}`);
      if (b) body.set(b.id, vals.get(id)!);
    });
    this.emit(s.body, body, inner, bind);
    const outs = s.body.outputs.map((o) => body.get(o.id)!.py);
    this.lines.push(`${inner}${carries.join(', ')}${carries.length === 1 ? ',' : ''} = ${outs.join(', ')}${outs.length === 1 ? ',' : ''}`);
    if (windows.has('after'))
      carries.forEach((c, i) => {
        this.lines.push(`${inner}${stacks.get(`after${i}`)}.append(${c})`);
      });
    const results = new Map<string, string>();
    carries.forEach((c, i) => {
      results.set(`last${i}`, c);
    });
    for (const [key, name] of stacks) {
      this.lines.push(`${indent}${name} = torch.stack(${s.reverse ? `${name}[::-1]` : name})`);
      results.set(key, name);
    }
    return results;
  }
}

/** How an input node of a method is read: arguments, parameters and buffers, the training flag and random key. */
export const bindInput =
  (args: ReadonlyMap<string, string>) =>
  (n: Node): Val => {
    const name = inputName(n),
      role = inputRole(n);
    if (role === 'param' || role === 'state') return { py: selfPath(name, role === 'state'), scalar: false, type: n.type };
    if (role === 'hyper' && name === TRAINING_FLAG) return { py: 'training', scalar: false, type: n.type };
    if (role === 'hyper' && name === RANDOM_KEY) return { py: 'self.random_key', scalar: true, type: n.type };
    const a = args.get(name);
    if (a === undefined) throw new Error(`no argument for input ${name}`);
    return { py: a, scalar: false, type: n.type };
  };
