// fast-check arbitraries for .dlm ASTs (spans are dummies), and span stripping for comparisons.
import fc from 'fast-check';
import type * as A from '../../compiler/ast/ast.js';
import { NO_SPAN } from '../../compiler/diagnostics/span.js';

const S = NO_SPAN;
const NAMES = ['x', 'y', 'w', 'h1', 'B', 'relu', 'nn', 'Dense', 'loss', 'input', 'output', '_t', 'alpha'];
const name = fc.constantFrom(...NAMES);
const ident = name.map((n): A.Ident => ({ name: n, span: S }));
const NUMS = ['0', '1', '2', '784', '0.5', '.5', '1e-3', '2.5E+4', '3.0'];

const leaf: fc.Arbitrary<A.Expr> = fc.oneof(
  fc.constantFrom(...NUMS).map((t): A.Expr => ({ kind: 'Num', value: Number(t), text: t, span: S })),
  fc.boolean().map((v): A.Expr => ({ kind: 'Bool', value: v, span: S })),
  name.map((n): A.Expr => ({ kind: 'Name', name: n, span: S })),
);

const OPS: A.BinaryOp[] = ['+', '-', '*', '/', '@', '**', '==', '!=', '<', '<=', '>', '>='];

export const exprArb: fc.Arbitrary<A.Expr> = fc.letrec<{ e: A.Expr }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.tuple(fc.constantFrom(...OPS), tie('e'), tie('e')).map(([op, left, right]): A.Expr => ({ kind: 'Binary', op, left, right, span: S })),
    tie('e').map((operand): A.Expr => ({ kind: 'Unary', op: '-', operand, span: S })),
    fc.tuple(tie('e'), fc.array(fc.tuple(fc.option(ident, { nil: undefined }), tie('e')), { maxLength: 3 })).map(([callee, args]): A.Expr => {
      // positional arguments first, then keywords (the grammar's rule)
      const sorted = [...args].sort((a, b) => Number(a[0] !== undefined) - Number(b[0] !== undefined));
      return { kind: 'Call', callee, args: sorted.map(([n, value]) => (n ? { name: n, value, span: S } : { value, span: S })), span: S };
    }),
    fc.tuple(tie('e'), ident).map(([object, n]): A.Expr => ({ kind: 'Member', object, name: n, span: S })),
    fc
      .tuple(
        tie('e'),
        fc.array(
          fc.oneof(
            tie('e').map((value): A.IndexItem => ({ kind: 'At', value, span: S })),
            fc
              .tuple(fc.option(tie('e'), { nil: undefined }), fc.option(tie('e'), { nil: undefined }))
              .map(([a, b]): A.IndexItem => ({ kind: 'Slice', ...(a ? { start: a } : {}), ...(b ? { end: b } : {}), span: S })),
          ),
          { minLength: 1, maxLength: 3 },
        ),
      )
      .map(([object, indices]): A.Expr => ({ kind: 'Index', object, indices, span: S })),
    fc.array(tie('e'), { maxLength: 3 }).map((items): A.Expr => ({ kind: 'List', items, span: S })),
    fc.tuple(fc.array(fc.tuple(ident, tie('e')), { maxLength: 2 }), tie('e')).map(
      ([lets, result]): A.Expr => ({
        kind: 'Block',
        lets: lets.map(([n, value]) => ({ kind: 'Let', name: n, value, span: S })),
        result,
        span: S,
      }),
    ),
  ),
})).e;

const dimArb: fc.Arbitrary<A.DimExpr> = fc.letrec<{ d: A.DimExpr }>((tie) => ({
  d: fc.oneof(
    { depthSize: 'small' },
    fc.integer({ min: 1, max: 999 }).map((value): A.DimExpr => ({ kind: 'DimNum', value, span: S })),
    fc.constantFrom('B', 'T', 'H', 'n_in').map((n): A.DimExpr => ({ kind: 'DimName', name: n, span: S })),
    fc
      .tuple(fc.constantFrom('+' as const, '-' as const, '*' as const, '/' as const), tie('d'), tie('d'))
      .map(([op, left, right]): A.DimExpr => ({ kind: 'DimBin', op, left, right, span: S })),
  ),
})).d;

export const typeArb: fc.Arbitrary<A.TypeAnn> = fc
  .tuple(fc.constantFrom('f32' as const, 'i32' as const, 'bool' as const), fc.array(dimArb, { maxLength: 3 }))
  .map(([dtype, dims]) => ({ kind: 'TypeAnn', dtype, dims, span: S }));

const paramArb: fc.Arbitrary<A.Param> = fc
  .tuple(ident, fc.option(typeArb, { nil: undefined }), fc.option(exprArb, { nil: undefined }))
  .map(([n, type, dflt]) => ({ name: n, ...(type ? { type } : {}), ...(dflt ? { default: dflt } : {}), span: S }));

const fnArb: fc.Arbitrary<A.FnDecl> = fc
  .tuple(ident, fc.array(paramArb, { maxLength: 3 }), fc.option(typeArb, { nil: undefined }), exprArb)
  .map(([n, params, ret, body]) => ({ kind: 'Fn', name: n, params, ...(ret ? { ret } : {}), body, span: S }));

const memberArb: fc.Arbitrary<A.ModelMember> = fc.oneof(
  fc
    .tuple(fc.constantFrom('input' as const, 'target' as const), ident, typeArb)
    .map(([role, n, type]): A.ModelMember => ({ kind: 'Input', role, name: n, type, span: S })),
  fc.tuple(ident, typeArb, exprArb).map(([n, type, init]): A.ModelMember => ({ kind: 'Param', name: n, type, init, span: S })),
  fc.tuple(ident, exprArb).map(([n, ctor]): A.ModelMember => ({ kind: 'SubLayer', name: n, ctor, span: S })),
  fc.tuple(ident, exprArb).map(([n, value]): A.ModelMember => ({ kind: 'Let', name: n, value, span: S })),
  fc.tuple(ident, exprArb).map(([n, value]): A.ModelMember => ({ kind: 'Output', name: n, value, span: S })),
  fc
    .tuple(
      fc.option(ident, { nil: undefined }),
      exprArb,
      fc.option(fc.array(exprArb, { minLength: 1, maxLength: 2 }), { nil: undefined }),
      fc.option(exprArb, { nil: undefined }),
    )
    .map(
      ([name, value, trains, optimizer]): A.ModelMember => ({
        kind: 'Loss',
        ...(name ? { name } : {}),
        value,
        ...(trains ? { trains } : {}),
        ...(trains && optimizer ? { optimizer } : {}),
        span: S,
      }),
    ),
  fc
    .array(fc.tuple(ident, exprArb), { maxLength: 2 })
    .map((settings): A.ModelMember => ({ kind: 'Train', settings: settings.map(([name, value]) => ({ name, value, span: S })), span: S })),
  fc.tuple(ident, typeArb, exprArb).map(([n, type, init]): A.ModelMember => ({ kind: 'State', name: n, type, init, span: S })),
  exprArb.map((value): A.ModelMember => ({ kind: 'Optimizer', value, span: S })),
  fnArb,
);

export const moduleArb: fc.Arbitrary<A.Module> = fc
  .array(
    fc.oneof(
      fc
        .tuple(fc.constantFrom('nn', 'losses'), fc.boolean())
        .map(([m, isPath]): A.Item => ({ kind: 'Import', module: isPath ? `./${m}.dlm` : m, isPath, alias: { name: m, span: S }, span: S })),
      fnArb,
      fc
        .tuple(
          ident,
          fc.array(paramArb, { maxLength: 3 }),
          fc.array(
            memberArb.filter((m): m is A.LayerMember => ['Param', 'SubLayer', 'Fn', 'Let'].includes(m.kind)),
            { maxLength: 3 },
          ),
        )
        .map(([n, params, members]): A.Item => ({ kind: 'Layer', name: n, params, members, span: S })),
      fc.tuple(ident, fc.array(memberArb, { maxLength: 5 })).map(([n, members]): A.Item => ({ kind: 'Model', name: n, members, span: S })),
    ),
    { maxLength: 4 },
  )
  .map((items) => ({ kind: 'Module', file: 'gen.dlm', items, span: S }));

/** Deep copy without spans and file names, for comparing trees from different sources. */
export const stripSpans = (x: unknown): unknown => {
  if (Array.isArray(x)) return x.map(stripSpans);
  if (x && typeof x === 'object') {
    return Object.fromEntries(
      Object.entries(x)
        .filter(([k, v]) => k !== 'span' && k !== 'file' && v !== undefined)
        .map(([k, v]) => [k, stripSpans(v)]),
    );
  }
  return x;
};
