// The IR: a flat, typed SSA list of nodes in topological order. Every node carries the source span it
// came from; nodes made by differentiation also say so (backward) and keep the forward node's span.
import type { Span } from '../diagnostics/span.js';
import type { Attrs } from '../ops/op.js';
import type { TensorType } from '../types/types.js';

/** Structural node tags (not primitives): function inputs and scalar constants. */
export const INPUT = 'input';
export const CONST = 'const';
/** A call of a function with its own `grad` rule (ir/custom.ts): its value, and its rule for autodiff. */
export const CUSTOM_VJP = 'custom_vjp';

export type InputRole = 'input' | 'target' | 'param' | 'state' | 'hyper';

export interface Node {
  readonly id: number;
  /** A primitive name from OPS, or INPUT / CONST. */
  readonly op: string;
  readonly inputs: readonly number[];
  readonly attrs: Attrs;
  readonly type: TensorType;
  readonly span: Span;
  /** True for nodes produced by reverse-mode differentiation. */
  readonly backward?: boolean;
  /** The user's binding name, if any (an identifier the grammar validated); for printing only. */
  readonly label?: string;
}

export interface Output {
  readonly name: string;
  readonly id: number;
}

/** `target ← value` after the call: how a training step writes new parameters and optimizer state. */
export interface Update {
  readonly target: number;
  readonly value: number;
}

export interface IrFunction {
  readonly name: string;
  readonly nodes: readonly Node[];
  readonly outputs: readonly Output[];
  readonly updates: readonly Update[];
  /** Outputs that must be finite for the updates to be applied (the loss of a training step). */
  readonly guards?: readonly string[];
}

export const inputNodes = (f: IrFunction): Node[] => f.nodes.filter((n) => n.op === INPUT);
export const inputName = (n: Node): string => n.attrs['name'] as string;
export const inputRole = (n: Node): InputRole => n.attrs['role'] as InputRole;

export const nodeMap = (f: IrFunction): Map<number, Node> => new Map(f.nodes.map((n) => [n.id, n]));

/** An id above every id among `nodes` (for nodes added while rebuilding a function). */
export const nextNodeId = (nodes: readonly Node[]): number => nodes.reduce((m, n) => Math.max(m, n.id + 1), 0);

/** The nodes the given roots depend on (roots included), by a backward walk over the SSA list. */
export const neededFrom = (f: IrFunction, roots: Iterable<number>): Set<number> => {
  const needed = new Set<number>(roots);
  for (let i = f.nodes.length - 1; i >= 0; i--)
    if (needed.has(f.nodes[i]!.id))
      f.nodes[i]!.inputs.forEach((x) => {
        needed.add(x);
      });
  return needed;
};

/** How many times each node is used (by nodes, outputs and updates). */
export const useCounts = (f: IrFunction): Map<number, number> => {
  const uses = new Map<number, number>();
  const bump = (id: number) => uses.set(id, (uses.get(id) ?? 0) + 1);
  for (const n of f.nodes) n.inputs.forEach(bump);
  f.outputs.forEach((o) => {
    bump(o.id);
  });
  f.updates.forEach((u) => {
    bump(u.value);
  });
  return uses;
};
