// A call of a function with its own gradient rule, `fn f(x, c) = … grad (x, c, dy) = [… , …]`:
// the body and the rule are each elaborated once for this call's argument types, into a region of IR
// split off as a function (like a scan's step), and the call becomes a custom_vjp node
// (compiler/ir/custom.ts): the body's value, with the rule as its vector–Jacobian product.
// The rule returns one cotangent per argument (a list when there are several), each of its argument's
// type (a number is broadcast); results for static arguments are ignored.
import { note } from '../diagnostics/codes.js';
import type { Span } from '../diagnostics/span.js';
import type { FnDecl } from '../ast/ast.js';
import { CUSTOM_VJP, customAttrs } from '../ir/custom.js';
import { inlineFunction } from '../ir/inline.js';
import { INPUT } from '../ir/ir.js';
import { fmtType, sameType, type TensorType } from '../types/types.js';
import type { ExprElab } from './expr.js';
import { regionFunction } from './region.js';
import { ERROR, type Binding, type Scope } from './scope.js';

/** A region of the builder cut off as a function: values from before it become inputs named capName(j). */
const splitOff = (x: ExprElab, from: number, keep: ReadonlySet<number>, outs: readonly number[], capName: (j: number) => string, name: string) => {
  const b = x.c.b;
  const region = b.cut(from);
  // inputs created while elaborating (the training flag, the random key) belong to the model
  for (const n of region) if (n.op === INPUT && !keep.has(n.id)) b.adopt(n);
  const inRegion = new Set(region.filter((n) => n.op !== INPUT || keep.has(n.id)).map((n) => n.id));
  const { fn, captures } = regionFunction(b, region, inRegion, outs, { fn: name, capture: capName, output: (i) => `out${i}` });
  return { fn, captures, regionType: (id: number) => region.find((n) => n.id === id)?.type ?? b.type(id) };
};

/** Elaborates `decl` (which has a grad rule) called with bound argument values; see the file comment. */
export const callCustom = (x: ExprElab, decl: FnDecl, closure: Scope, values: readonly Binding[], span: Span, what: string): Binding => {
  const rule = decl.grad!;
  const c = x.c,
    b = c.b;
  const names = decl.params.map((p) => p.name.name);
  if (rule.params.length !== names.length + 1) {
    return c.err(
      'E0303',
      rule.span,
      `the grad rule of ${what} takes its ${names.length} argument${names.length === 1 ? '' : 's'}` +
        ` and the cotangent of its result: grad (${[...names, 'dy'].join(', ')})`,
      [note('the function is declared here', decl.name.span)],
    );
  }
  // the arguments that get cotangents: f32 tensors
  const diff = values.map((v, i) => (v.k === 'tensor' && c.type(v.id).dtype === 'f32' ? i : -1)).filter((i) => i >= 0);
  const argType = (i: number): TensorType => c.type((values[i] as Binding & { k: 'tensor' }).id);

  // The body, once, on placeholders a0… (then applied to stop_gradient of the arguments).
  const from = b.nodes.length;
  const ph = b.at(span, () => diff.map((i, q) => b.input(`a${q}`, 'input', argType(i), span)));
  const inner = closure.child();
  decl.params.forEach((p, i) => {
    const q = diff.indexOf(i);
    inner.define(p.name.name, q >= 0 ? { k: 'tensor', id: ph[q]! } : values[i]!, p.name.span);
  });
  const body = x.expr(decl.body, inner);
  const y = body.k === 'tensor' ? body.id : undefined;
  if (y === undefined || b.type(y).dtype !== 'f32') {
    b.cut(from);
    return body.k === 'error'
      ? ERROR
      : c.err('E0304', decl.body.span, `${what} has a grad rule, so it must return one f32 tensor`, [note('the rule is here', rule.span)]);
  }
  const yType = b.type(y);
  const primal = splitOff(x, from, new Set(ph), [y], (j) => `p${j}`, `${decl.name.name}_primal`);
  const leaked = primal.captures.find((id) => {
    const n = b.node(id);
    return n.type.dtype === 'f32' && !(n.op === INPUT && n.attrs['role'] === 'hyper');
  });
  if (leaked !== undefined) {
    return c.err('E0305', span, `${what} has a grad rule but reads a differentiable value from outside its arguments, which the rule cannot give a gradient`, [
      note('the value is defined here; pass it as an argument instead', b.node(leaked).span),
      note('the rule is here', rule.span),
    ]);
  }

  // The rule, once, on placeholders a0…, dy.
  const from2 = b.nodes.length;
  const rph = b.at(span, () => diff.map((i, q) => b.input(`a${q}`, 'input', argType(i), span)));
  const dy = b.at(span, () => b.input('dy', 'input', yType, span));
  const rin = closure.child();
  rule.params.forEach((p, i) => {
    const q = diff.indexOf(i);
    rin.define(p.name, i === names.length ? { k: 'tensor', id: dy } : q >= 0 ? { k: 'tensor', id: rph[q]! } : values[i]!, p.span);
  });
  const res = x.expr(rule.body, rin);
  const fail = (r: Binding) => {
    b.cut(from2);
    return r;
  };
  if (res.k === 'error') return fail(ERROR);
  const items = names.length === 1 ? [res] : res.k === 'list' ? res.items : undefined;
  if (!items || items.length !== names.length) {
    return fail(
      c.err(
        'E0306',
        rule.body.span,
        `the grad rule of ${what} must return ${names.length === 1 ? 'one cotangent' : `a list of ${names.length} cotangents, one per argument`}`,
        [note('the function is declared here', decl.name.span)],
      ),
    );
  }
  const outs: number[] = [];
  for (const i of diff) {
    const want = argType(i);
    const it = items[i]!;
    const id = b.at(rule.body.span, () =>
      it.k === 'static' && typeof it.value === 'number'
        ? want.shape.length
          ? b.op('broadcast_to', [b.num(it.value)], { shape: want.shape })
          : b.num(it.value)
        : it.k === 'tensor'
          ? it.id
          : undefined,
    );
    const got = id === undefined ? undefined : b.type(id);
    if (id === undefined || !got || !sameType(got, want)) {
      return fail(
        c.err(
          'E0306',
          rule.body.span,
          `the grad rule of ${what} gives '${names[i]}' a cotangent of type ${got ? fmtType(got) : 'that is not a tensor'}` +
            `, but '${names[i]}' is ${fmtType(want)}`,
          [note(`the cotangent of an argument has the argument's type (here ${fmtType(want)})`), note('the function is declared here', decl.name.span)],
        ),
      );
    }
    outs.push(id);
  }
  const ruleFn = splitOff(x, from2, new Set([...rph, dy]), outs, (j) => `k${j}`, `${decl.name.name}_vjp`);

  // The call: the body on the detached arguments, and the node carrying the rule.
  return b.at(span, () => {
    const args = new Map<string, number>();
    diff.forEach((i, q) => {
      args.set(`a${q}`, b.op('stop_gradient', [(values[i] as Binding & { k: 'tensor' }).id]));
    });
    primal.captures.forEach((id, j) => {
      args.set(`p${j}`, id);
    });
    const [value] = inlineFunction(b, primal.fn, args);
    const ids = diff.map((i) => (values[i] as Binding & { k: 'tensor' }).id);
    const node = b.structural(
      CUSTOM_VJP,
      [value!, ...ids, ...ruleFn.captures, ...primal.captures],
      customAttrs({ rule: ruleFn.fn, primal: primal.fn, args: ids.length, ruleCaptures: ruleFn.captures.length, fn: decl.name.name, ruleSpan: rule.span }),
      yType,
    );
    return { k: 'tensor', id: node } as Binding;
  });
};
