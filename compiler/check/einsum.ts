// einsum("ij,jk->ik", a, b): the spec is checked at compile time (a diagnostic points at the offending
// letter inside the string) and lowered to primitives, so the gradient is theirs:
//   • a letter repeated within one operand takes the diagonal (x · [i = j] summed over the second copy),
//   • a letter no later operand and not the output needs is summed out at once,
//   • two operands contract as one batched matmul: transpose each to [batch…, free…, contracted…] /
//     [batch…, contracted…, free…], reshape to 3-D, multiply, reshape back,
//   • the result is transposed to the output's order.
// Operands contract left to right (torch.einsum's order without opt_einsum). Without "->" the output is
// the '...' dims, then the letters used exactly once, in alphabetical order (NumPy, torch). Indices are
// a–z and A–Z, and '...' for the dims not named (right-aligned across operands, as broadcasting aligns
// them); a size-1 axis broadcasts against the index's size elsewhere, other sizes must agree.
import type { Span } from '../diagnostics/span.js';
import { dimMul, fmtDim } from '../types/dims.js';
import type { OpName } from '../ops/registry.js';
import type { Dim } from '../types/types.js';
import { arg, type Builtin } from './args.js';
import type { ExprElab } from './expr.js';
import { ERROR, describe, type Binding } from './scope.js';

interface Term {
  letters: string;
  id: number;
}

/** The span of characters [from, to) of a string literal's text (its quotes excluded). */
const inside = (s: Span, from: number, to = from + 1): Span => ({ file: s.file, start: s.start + 1 + from, end: s.start + 1 + to });

export const einsum: Builtin = (x, a, span) => {
  const sg = arg(a, 0, 'spec');
  if (sg?.v.k !== 'string') {
    const found = sg ? `; found ${describe(sg.v)}` : '';
    return x.c.err('E0240', sg?.span ?? span, `einsum's first argument is its spec as a string, e.g. einsum("ij,jk->ik", a, b)${found}`);
  }
  if (a.kw.size) return x.c.err('E0104', [...a.kw.values()][0]!.span, 'einsum takes its spec and operands positionally');
  const spec = sg.v.value,
    sp = sg.span;
  const bad = (from: number, msg: string, to = from + 1): Binding => x.c.err('E0240', inside(sp, from, to), msg);
  const arrow = spec.indexOf('->');
  if (arrow >= 0 && spec.indexOf('->', arrow + 1) >= 0) {
    return bad(spec.indexOf('->', arrow + 1), 'an einsum spec has at most one "->"', spec.indexOf('->', arrow + 1) + 2);
  }
  const lhs = arrow >= 0 ? spec.slice(0, arrow) : spec;
  // each group (operand or output) as its indices with their positions in the spec; '...' is one entry
  const groups: Entry[][] = [];
  let at = 0;
  for (const part of [...lhs.split(','), ...(arrow >= 0 ? [spec.slice(arrow + 2)] : [])]) {
    const es: Entry[] = [];
    for (let i = 0; i < part.length; i++) {
      const ch = part[i]!;
      if (ch === ' ') continue;
      if (part.startsWith('...', i)) {
        if (es.some((e) => e.ch === ELLIPSIS)) return bad(at + i, 'an einsum operand has at most one "..."', at + i + 3);
        es.push({ ch: ELLIPSIS, at: at + i, len: 3 });
        i += 2;
        continue;
      }
      if (!/[A-Za-z]/.test(ch)) return bad(at + i, `${JSON.stringify(ch)} is not an einsum index: use letters a–z and A–Z (or "...")`);
      es.push({ ch, at: at + i, len: 1 });
    }
    groups.push(es);
    if (groups.length === lhs.split(',').length) at = arrow + 2;
    else at += part.length + 1;
  }
  const outGroup = arrow >= 0 ? groups.pop()! : undefined;
  const operands = a.pos.slice(1);
  if (operands.length !== groups.length) {
    return x.c.err(
      'E0240',
      sp,
      `the einsum spec names ${groups.length} operand${groups.length === 1 ? '' : 's'}, but ${operands.length} ${operands.length === 1 ? 'is' : 'are'} given`,
    );
  }
  const ids = operands.map((o) => x.c.tensor(o.v, o.span));
  if (ids.some((i) => i === undefined)) return ERROR;
  // the dims each '...' covers, right-aligned across operands as broadcasting aligns them: internal indices E0, E1, …
  const shapes = ids.map((id) => x.c.type(id!).shape);
  const named = groups.map((g) => g.filter((e) => e.ch !== ELLIPSIS).length);
  const ell = groups.map((g, k) => (g.some((e) => e.ch === ELLIPSIS) ? shapes[k]!.length - named[k]! : 0));
  const E = Math.max(0, ...ell);
  const letters: string[] = [];
  const size = new Map<string, Dim>();
  for (let k = 0; k < groups.length; k++) {
    const g = groups[k]!,
      shape = shapes[k]!;
    const hasEll = g.some((e) => e.ch === ELLIPSIS);
    if (hasEll ? ell[k]! < 0 : named[k] !== shape.length) {
      const first = g[0]?.at ?? 0,
        last = g.length ? g[g.length - 1]!.at + g[g.length - 1]!.len : first;
      const what = `${named[k]} ind${named[k] === 1 ? 'ex' : 'ices'}${hasEll ? ' and "..."' : ''}`;
      return bad(first, `operand ${k + 1} has rank ${shape.length}, but the spec gives it ${what}`, Math.max(last, first + 1));
    }
    let ls = '',
      axis = 0;
    for (const e of g) {
      const chs = e.ch === ELLIPSIS ? [...Array(ell[k]!).keys()].map((j) => internal(E - ell[k]! + j)) : [e.ch];
      for (const ch of chs) {
        const d = shape[axis++]!,
          seen = size.get(ch);
        // a size-1 axis broadcasts against any size (torch.einsum); other sizes must agree
        if (seen !== undefined && String(seen) !== String(d) && seen !== 1 && d !== 1) {
          return bad(e.at, `index '${e.ch === ELLIPSIS ? '...' : ch}' has size ${fmtDim(seen)} elsewhere but ${fmtDim(d)} in operand ${k + 1}`, e.at + e.len);
        }
        if (seen === undefined || seen === 1) size.set(ch, d);
        ls += ch;
      }
    }
    letters.push(ls);
  }
  const used = letters.join('');
  const ellOut = [...Array(E).keys()].map(internal).join('');
  let out = '';
  if (outGroup) {
    for (const e of outGroup) {
      if (e.ch === ELLIPSIS) {
        out += ellOut;
        continue;
      }
      if (!used.includes(e.ch)) return bad(e.at, `output index '${e.ch}' does not appear in any operand`);
      if (out.includes(e.ch)) return bad(e.at, `output index '${e.ch}' is repeated`);
      out += e.ch;
    }
  } else
    out =
      ellOut +
      [...new Set(used)]
        .filter((c) => !ellOut.includes(c) && used.split(c).length === 2)
        .sort()
        .join('');
  // operands with a size-1 axis whose index is larger elsewhere are broadcast first
  const terms = letters.map((ls, k) => {
    const want = [...ls].map((c) => size.get(c)!);
    const grow = want.some((d, i) => String(d) !== String(shapes[k]![i]));
    const id = grow ? x.c.op('broadcast_to', [ids[k]!], { shape: want }, span) : { k: 'tensor' as const, id: ids[k]! };
    return id.k === 'tensor' ? { letters: ls, id: id.id } : undefined;
  });
  if (terms.some((t) => t === undefined)) return ERROR;
  return lower(x, span, terms as Term[], out, size);
};

/** One index of a spec group and where it is in the spec. */
interface Entry {
  readonly ch: string;
  readonly at: number;
  readonly len: number;
}
const ELLIPSIS = '...';
/** Internal index letters for the dims under '...' (never letters of a spec). */
const internal = (j: number): string => String.fromCharCode(0x100 + j);

/** Builds the primitive graph; each step keeps a Term (its letters in axis order). */
const lower = (x: ExprElab, span: Span, terms: Term[], out: string, size: ReadonlyMap<string, Dim>): Binding => {
  const op = (name: OpName, ins: number[], attrs: Record<string, unknown> = {}): number => {
    const r = x.c.op(name, ins, attrs, span);
    if (r.k !== 'tensor') throw new Failed();
    return r.id;
  };
  const transposeTo = (t: Term, order: string): Term => {
    if (t.letters === order) return t;
    return { letters: order, id: op('transpose', [t.id], { perm: [...order].map((c) => t.letters.indexOf(c)) }) };
  };
  /** The diagonal of a repeated letter: x·[i = j] summed over the later copy. */
  const diagonal = (t: Term): Term => {
    for (let p = 0; p < t.letters.length; p++) {
      const q = t.letters.indexOf(t.letters[p]!, p + 1);
      if (q < 0) continue;
      const n = size.get(t.letters[p]!)!,
        r = t.letters.length;
      const at = (axis: number) => op('reshape', [op('iota', [], { n })], { shape: [...Array(r).keys()].map((i) => (i === axis ? n : 1)) });
      const mask = op('cast', [op('eq', [at(p), at(q)])], { dtype: x.c.type(t.id).dtype === 'f32' ? 'f32' : 'i32' });
      const id = op('sum', [op('mul', [t.id, mask])], { axes: [q], keepdims: false });
      return diagonal({ letters: t.letters.slice(0, q) + t.letters.slice(q + 1), id });
    }
    return t;
  };
  /** Sums out the letters of t that `keep` does not contain. */
  const sumOut = (t: Term, keep: string): Term => {
    const axes = [...t.letters].flatMap((c, i) => (keep.includes(c) ? [] : [i]));
    return axes.length ? { letters: [...t.letters].filter((c) => keep.includes(c)).join(''), id: op('sum', [t.id], { axes, keepdims: false }) } : t;
  };
  const prod = (letters: string): Dim => [...letters].reduce<Dim>((p, c) => dimMul(p, size.get(c)!), 1);
  try {
    const cur = terms.map(diagonal);
    // what each step must keep: the output's letters and those of the operands still to come
    const later = (k: number) =>
      out +
      cur
        .slice(k + 1)
        .map((t) => t.letters)
        .join('');
    let acc = sumOut(cur[0]!, later(0));
    for (let k = 1; k < cur.length; k++) {
      const b = sumOut(
        cur[k]!,
        out +
          acc.letters +
          cur
            .slice(k + 1)
            .map((t) => t.letters)
            .join(''),
      );
      const keep = later(k);
      const batch = [...acc.letters].filter((c) => b.letters.includes(c) && keep.includes(c)).join('');
      const contract = [...acc.letters].filter((c) => b.letters.includes(c) && !keep.includes(c)).join('');
      const fa = [...acc.letters].filter((c) => !b.letters.includes(c)).join(''),
        fb = [...b.letters].filter((c) => !acc.letters.includes(c)).join('');
      const A = transposeTo(acc, batch + fa + contract),
        B = transposeTo(b, batch + contract + fb);
      const a3 = op('reshape', [A.id], { shape: [prod(batch), prod(fa), prod(contract)] });
      const b3 = op('reshape', [B.id], { shape: [prod(batch), prod(contract), prod(fb)] });
      const letters = batch + fa + fb;
      acc = { letters, id: op('reshape', [op('matmul', [a3, b3])], { shape: [...letters].map((c) => size.get(c)!) }) };
    }
    const r = transposeTo(sumOut(acc, out), out);
    return { k: 'tensor', id: r.letters.length === 0 && x.c.type(r.id).shape.length ? op('reshape', [r.id], { shape: [] }) : r.id };
  } catch (e) {
    if (e instanceof Failed) return ERROR;
    throw e;
  }
};

class Failed extends Error {}
