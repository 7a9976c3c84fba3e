// IrBuilder: the only way to create IR nodes. It types each node with its op's shape rule, and stamps
// the current source span (and the backward flag while differentiating) on everything it makes.
import { InternalError } from '../diagnostics/diagnostic.js';
import { NO_SPAN, type Span } from '../diagnostics/span.js';
import type { Attrs, GradBuilder, Value } from '../ops/op.js';
import { opDef, type OpName } from '../ops/registry.js';
import { isShapeError, type ShapeError } from '../types/shapes.js';
import type { Dim, TensorType } from '../types/types.js';
import { CONST, INPUT, type InputRole, type IrFunction, type Node, type Output, type Update } from './ir.js';
import { printNodes } from './print.js';

export class IrBuilder implements GradBuilder {
  readonly nodes: Node[] = [];
  private readonly byId = new Map<number, Node>();
  private nextId = 0;
  span: Span = NO_SPAN;
  backward = false;

  constructor(seed?: readonly Node[]) {
    for (const n of seed ?? []) this.push(n);
  }

  private push(n: Node): Value {
    this.nodes.push(n);
    this.byId.set(n.id, n);
    this.nextId = Math.max(this.nextId, n.id + 1);
    return n.id;
  }

  node(id: Value): Node {
    const n = this.byId.get(id);
    if (!n) throw new InternalError(`unknown IR value %${id}`);
    return n;
  }

  type(id: Value): TensorType {
    return this.node(id).type;
  }

  /** Runs f with the given span (and backward flag) stamped on new nodes. */
  at<T>(span: Span, f: () => T, backward = this.backward): T {
    const [s, b] = [this.span, this.backward];
    this.span = span;
    this.backward = backward;
    try {
      return f();
    } finally {
      this.span = s;
      this.backward = b;
    }
  }

  /** Adds a primitive node, or returns the op's ShapeError (the checker turns it into a diagnostic). */
  tryOp(name: string, inputs: readonly Value[], attrs: Attrs = {}, label?: string): Value | ShapeError {
    const def = opDef(name);
    if (!def) throw new InternalError(`unknown primitive '${name}'`);
    const t = def.shape(
      inputs.map((i) => this.type(i)),
      attrs,
    );
    if (isShapeError(t)) return t;
    const n: Node = {
      id: this.nextId,
      op: name,
      inputs: [...inputs],
      attrs,
      type: t,
      span: this.span,
      ...(this.backward ? { backward: true } : {}),
      ...(label ? { label } : {}),
    };
    return this.push(n);
  }

  /** Adds a primitive node; a shape error here is a compiler bug (derivative rules must be well-typed). */
  op(name: OpName, inputs: readonly Value[], attrs: Attrs = {}): Value {
    return this.opNamed(name, inputs, attrs);
  }

  /** `op` for a name known only at run time (an existing node's op, an op entry's name), checked by the registry lookup. */
  opNamed(name: string, inputs: readonly Value[], attrs: Attrs = {}): Value {
    const r = this.tryOp(name, inputs, attrs);
    if (isShapeError(r)) {
      const ctx = printNodes(inputs.map((i) => this.node(i)));
      throw new InternalError(`ill-typed ${name}: ${r.reason}`, ctx);
    }
    return r;
  }

  num(value: number | Dim, dtype: 'f32' | 'i32' = 'f32'): Value {
    return this.push({
      id: this.nextId,
      op: CONST,
      inputs: [],
      attrs: { value, dtype },
      type: { dtype, shape: [] },
      span: this.span,
      ...(this.backward ? { backward: true } : {}),
    });
  }

  /** A structural node (scan, scan_out): typed by its constructor, not by an op's shape rule. */
  structural(op: string, inputs: readonly Value[], attrs: Attrs, type: TensorType): Value {
    return this.push({ id: this.nextId, op, inputs: [...inputs], attrs, type, span: this.span, ...(this.backward ? { backward: true } : {}) });
  }

  /** Swaps in a new version of a node under the same id (a loop that now also stores per-step values). */
  replace(n: Node): void {
    const old = this.node(n.id);
    this.byId.set(n.id, n);
    this.nodes[this.nodes.indexOf(old)] = n;
  }

  /** Makes every node that reads a key of `uses` read its value instead (the old node may become dead). */
  substitute(uses: ReadonlyMap<Value, Value>): void {
    this.nodes.forEach((n, i) => {
      if (!n.inputs.some((x) => uses.has(x))) return;
      const m = { ...n, inputs: n.inputs.map((x) => uses.get(x) ?? x) };
      this.nodes[i] = m;
      this.byId.set(m.id, m);
    });
  }

  /** Moves nodes (keeping their order) to just before node `before`; their inputs must precede it. */
  moveBefore(before: Value, ids: readonly Value[]): void {
    const moving = new Set(ids);
    const moved = this.nodes.filter((n) => moving.has(n.id));
    const rest = this.nodes.filter((n) => !moving.has(n.id));
    rest.splice(
      rest.findIndex((n) => n.id === before),
      0,
      ...moved,
    );
    this.nodes.splice(0, this.nodes.length, ...rest);
  }

  /** Removes and returns the nodes from position `from` on (a loop body being split off). Ids are not reused. */
  cut(from: number): Node[] {
    const removed = this.nodes.splice(from);
    for (const n of removed) this.byId.delete(n.id);
    return removed;
  }

  /** Re-adds a node made elsewhere (an input hoisted out of a loop body). */
  adopt(n: Node): Value {
    return this.push(n);
  }

  /** New nodes get ids from `next` on (rebuilding a function whose nodes are adopted one by one). */
  reserveIdsBelow(next: number): void {
    this.nextId = Math.max(this.nextId, next);
  }

  /** An id no node of this builder has or will have. */
  freshId(): Value {
    return this.nextId++;
  }

  input(name: string, role: InputRole, type: TensorType, span: Span): Value {
    return this.push({ id: this.nextId, op: INPUT, inputs: [], attrs: { name, role }, type, span, label: name });
  }

  /** Gives an existing node a user-facing label (for printing and emitted comments). */
  label(id: Value, label: string): void {
    const n = this.node(id);
    if (n.label || n.op === INPUT) return;
    const labelled = { ...n, label };
    this.byId.set(id, labelled);
    const i = this.nodes.indexOf(n);
    if (i >= 0) this.nodes[i] = labelled;
  }

  finish(name: string, outputs: readonly Output[], updates: readonly Update[] = []): IrFunction {
    return { name, nodes: [...this.nodes], outputs: [...outputs], updates: [...updates] };
  }
}
