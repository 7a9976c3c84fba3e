// AST → .dlm source. Parenthesizes by precedence only where needed, so parse(print(ast)) gives the
// same tree back (a property test checks it); also used to show generated programs in test failures.
import type * as A from './ast.js';

const PREC: Record<A.BinaryOp, number> = {
  '==': 1,
  '!=': 1,
  '<': 1,
  '<=': 1,
  '>': 1,
  '>=': 1,
  '+': 2,
  '-': 2,
  '*': 3,
  '/': 3,
  '@': 3,
  '**': 5,
};
const UNARY = 4,
  POSTFIX = 6,
  ATOM = 7;

const precOf = (e: A.Expr): number => {
  switch (e.kind) {
    case 'Binary':
      return PREC[e.op];
    case 'Unary':
      return UNARY;
    case 'Call':
    case 'Member':
    case 'Index':
      return POSTFIX;
    default:
      return ATOM;
  }
};

const paren = (e: A.Expr, min: number, indent: string): string => (precOf(e) < min ? `(${printExpr(e, indent)})` : printExpr(e, indent));
/** The object of `.name`, `(…)` or `[…]`: a number literal needs parentheses (`1.x` would lex as `1.`). */
const postfixObject = (e: A.Expr, indent: string): string => (e.kind === 'Num' ? `(${e.text})` : paren(e, POSTFIX, indent));

const fmtNum = (e: A.Expr & { kind: 'Num' }): string => e.text;

export const printDim = (d: A.DimExpr, min = 0): string => {
  switch (d.kind) {
    case 'DimNum':
      return String(d.value);
    case 'DimName':
      return d.name;
    case 'DimBin': {
      const p = d.op === '*' || d.op === '/' ? 2 : 1;
      const s = `${printDim(d.left, p)} ${d.op} ${printDim(d.right, p + 1)}`;
      return p < min ? `(${s})` : s;
    }
  }
};

export const printType = (t: A.TypeAnn): string => {
  const dims = t.dims.map((d) => printDim(d));
  if (t.rest) dims.splice(t.rest.at, 0, '...');
  return dims.length ? `${t.dtype}[${dims.join(', ')}]` : t.dtype;
};

const printArg = (a: A.Arg, indent: string): string => (a.name ? `${a.name.name} = ${printExpr(a.value, indent)}` : printExpr(a.value, indent));

const printIndex = (it: A.IndexItem, indent: string): string =>
  it.kind === 'At'
    ? printExpr(it.value, indent)
    : `${it.start ? printExpr(it.start, indent) : ''}:${it.end ? printExpr(it.end, indent) : ''}${it.step ? `:${printExpr(it.step, indent)}` : ''}`;

export const printExpr = (e: A.Expr, indent = ''): string => {
  switch (e.kind) {
    case 'Num':
      return fmtNum(e);
    case 'Bool':
      return e.value ? 'true' : 'false';
    case 'Str':
      return `"${e.value}"`;
    case 'Name':
      return e.name;
    case 'Member':
      return `${postfixObject(e.object, indent)}.${e.name.name}`;
    case 'Call':
      return `${postfixObject(e.callee, indent)}(${e.args.map((a) => printArg(a, indent)).join(', ')})`;
    case 'Index':
      return `${postfixObject(e.object, indent)}[${e.indices.map((i) => printIndex(i, indent)).join(', ')}]`;
    case 'List':
      return `[${e.items.map((i) => printExpr(i, indent)).join(', ')}]`;
    // −x ** 2 parses as −(x ** 2), so a power operand of unary minus needs no parentheses, anything looser does.
    case 'Unary':
      return `-${paren(e.operand, UNARY, indent)}`;
    case 'Binary': {
      const p = PREC[e.op];
      if (e.op === '**') return `${paren(e.left, POSTFIX, indent)} ** ${paren(e.right, UNARY, indent)}`;
      // comparisons are non-associative: both sides must be tighter
      const left = paren(e.left, p === 1 ? p + 1 : p, indent);
      return `${left} ${e.op} ${paren(e.right, p + 1, indent)}`;
    }
    case 'Block': {
      const inner = indent + '  ';
      const lets = e.lets.map((l) => `${inner}${l.kind === 'Let' ? 'let' : 'update'} ${l.name.name} = ${printExpr(l.value, inner)}\n`).join('');
      // A result starting with '-', '(' or '[' would continue the last let's expression: end it with ';'.
      const result = printExpr(e.result, inner);
      const sep = e.lets.length && /^[-([]/.test(result) ? lets.replace(/\n$/, ';\n') : lets;
      return `{\n${sep}${inner}${result}\n${indent}}`;
    }
  }
};

const printParam = (p: A.Param): string => `${p.name.name}${p.type ? `: ${printType(p.type)}` : ''}${p.default ? ` = ${printExpr(p.default)}` : ''}`;

const printFn = (f: A.FnDecl, indent: string): string => {
  const head = `${indent}fn ${f.name.name}(${f.params.map(printParam).join(', ')})${f.ret ? ` -> ${printType(f.ret)}` : ''}`;
  const body = (e: A.Expr) => (e.kind === 'Block' ? ` ${printExpr(e, indent)}` : ` = ${printExpr(e, indent)}`);
  const rule = f.grad ? ` grad (${f.grad.params.map((p) => p.name).join(', ')})${body(f.grad.body)}` : '';
  return `${head}${body(f.body)}${rule}`;
};

const printGroups = (gs: readonly A.OptimizerGroup[] | undefined, indent: string): string =>
  !gs ? '' : ` {\n${gs.map((g) => `${indent}  group(${g.args.map((a) => printArg(a, indent)).join(', ')})`).join('\n')}\n${indent}}`;

const printMember = (m: A.ModelMember | A.LayerMember, indent: string): string => {
  switch (m.kind) {
    case 'Input':
      return `${indent}${m.role} ${m.name.name}: ${printType(m.type)}`;
    case 'Param':
      return `${indent}param ${m.name.name}: ${printType(m.type)} = ${printExpr(m.init, indent)}`;
    case 'State':
      return `${indent}state ${m.name.name}: ${printType(m.type)} = ${printExpr(m.init, indent)}`;
    case 'SubLayer':
      return `${indent}layer ${m.name.name} = ${printExpr(m.ctor, indent)}`;
    case 'Let':
      return `${indent}let ${m.name.name} = ${printExpr(m.value, indent)}`;
    case 'Output':
      return `${indent}output ${m.name.name} = ${printExpr(m.value, indent)}`;
    case 'Loss': {
      const name = m.name ? `${m.name.name} = ` : '';
      const trains = m.trains ? ` trains ${m.trains.map((t) => printExpr(t, indent)).join(', ')}` : '';
      const optimizer = m.optimizer ? ` with ${printExpr(m.optimizer, indent)}${printGroups(m.optimizerGroups, indent)}` : '';
      return `${indent}loss ${name}${printExpr(m.value, indent)}${trains}${optimizer}`;
    }
    case 'Optimizer':
      return `${indent}optimizer ${printExpr(m.value, indent)}${printGroups(m.groups, indent)}`;
    case 'Train':
      return `${indent}train {\n${m.settings.map((t) => `${indent}  ${t.name.name} = ${printExpr(t.value, indent + '  ')}`).join('\n')}\n${indent}}`;
    case 'Fn':
      return printFn(m, indent);
  }
};

export const printItem = (it: A.Item): string => {
  switch (it.kind) {
    case 'Import':
      return it.isPath ? `import ${JSON.stringify(it.module)} as ${it.alias.name}` : `import ${it.module}`;
    case 'Fn':
      return printFn(it, '');
    case 'Layer':
      return `layer ${it.name.name}(${it.params.map(printParam).join(', ')}) {\n${it.members.map((m) => printMember(m, '  ')).join('\n')}\n}`;
    case 'Model':
      return `model ${it.name.name} {\n${it.members.map((m) => printMember(m, '  ')).join('\n')}\n}`;
  }
};

export const printModule = (m: A.Module): string => m.items.map(printItem).join('\n\n') + '\n';
