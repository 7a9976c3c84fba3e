// A function's own derivative: `fn f(x) = … grad (x, dy) = …` elaborates to
//   y = f's body applied to stop_gradient(x)        (no derivative flows through the body)
//   r = custom_vjp(y, x…, rule captures…, primal captures…)   r = y
// a structural node (like scan) whose value is its first input and whose vector–Jacobian product is the
// rule, inlined with the arguments, the cotangent of r and the rule's captures:  x̄ = rule(x, r̄).
// Autodiff applies it like any op's rule (again for second derivatives: the rule is ordinary IR);
// the first optimization pass replaces the node by y, so code generation never sees it. The node keeps
// the body as a function too (`primal`), so gradcheck can compare the rule with finite differences of it.
import type { Value } from '../ops/op.js';
import type { Span } from '../diagnostics/span.js';
import type { IrBuilder } from './builder.js';
import { inlineFunction } from './inline.js';
import type { IrFunction, Node } from './ir.js';

export { CUSTOM_VJP } from './ir.js';

export interface CustomInfo {
  /** The rule: inputs a0… (the tensor arguments), dy, k0… (captures); one output per argument. */
  readonly rule: IrFunction;
  /** The function's body: inputs a0… and p0… (its captures); output y. */
  readonly primal: IrFunction;
  /** Tensor arguments, rule captures, primal captures (the node's inputs after y, in this order). */
  readonly args: number;
  readonly ruleCaptures: number;
  /** The function's name and where its rule is written, for reports. */
  readonly fn: string;
  readonly ruleSpan: Span;
}

export const customInfo = (n: Node): CustomInfo => {
  const a = n.attrs;
  return {
    rule: a['rule'] as unknown as IrFunction,
    primal: a['primal'] as unknown as IrFunction,
    args: a['args'] as number,
    ruleCaptures: a['ruleCaptures'] as number,
    fn: a['fn'] as string,
    ruleSpan: { file: a['ruleFile'] as string, start: a['ruleStart'] as number, end: a['ruleEnd'] as number },
  };
};

export const customAttrs = (c: CustomInfo): Node['attrs'] => ({
  rule: c.rule,
  primal: c.primal,
  args: c.args,
  ruleCaptures: c.ruleCaptures,
  fn: c.fn,
  ruleFile: c.ruleSpan.file,
  ruleStart: c.ruleSpan.start,
  ruleEnd: c.ruleSpan.end,
});

/** The node's vjp: the rule inlined; cotangents for the arguments, none for y or the captures. */
export const customVjp = (b: IrBuilder, n: Node, ct: Value): (Value | null)[] => {
  const c = customInfo(n);
  const args = new Map<string, Value>();
  for (let i = 0; i < c.args; i++) args.set(`a${i}`, n.inputs[1 + i]!);
  for (let j = 0; j < c.ruleCaptures; j++) args.set(`k${j}`, n.inputs[1 + c.args + j]!);
  args.set('dy', ct);
  const outs = inlineFunction(b, c.rule, args);
  return n.inputs.map((_, i) => (i >= 1 && i <= c.args ? outs[i - 1]! : null));
};
