// Dimension algebra: a dim is a number or a symbolic polynomial over dim names (B, T, 4*H, in+hidden).
// Symbolic dims are kept in a canonical string form so that equality is string equality.

export type Dim = number | string;

/** A polynomial as monomial → coefficient; the monomial key is its sorted variable names joined by '*'. */
type Poly = Map<string, number>;

const toPoly = (d: Dim): Poly => {
  const p: Poly = new Map();
  if (typeof d === 'number') {
    if (d !== 0) p.set('', d);
    return p;
  }
  for (const term of d.split(' + ')) {
    const factors = term.split('*');
    let coef = 1;
    const vars: string[] = [];
    for (const f of factors) {
      if (/^-?\d+$/.test(f)) coef *= Number(f);
      else vars.push(f);
    }
    const key = vars.sort().join('*');
    p.set(key, (p.get(key) ?? 0) + coef);
  }
  return p;
};

const fromPoly = (p: Poly): Dim => {
  const terms = [...p.entries()].filter(([, c]) => c !== 0).sort(([a], [b]) => (a === '' ? 1 : b === '' ? -1 : a < b ? -1 : a > b ? 1 : 0));
  if (terms.length === 0) return 0;
  if (terms.length === 1 && terms[0]![0] === '') return terms[0]![1];
  return terms.map(([k, c]) => (k === '' ? String(c) : c === 1 ? k : `${c}*${k}`)).join(' + ');
};

export const dimAdd = (a: Dim, b: Dim): Dim => {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  const p = toPoly(a);
  for (const [k, c] of toPoly(b)) p.set(k, (p.get(k) ?? 0) + c);
  return fromPoly(p);
};

export const dimNeg = (a: Dim): Dim => {
  if (typeof a === 'number') return -a;
  const p = toPoly(a);
  for (const [k, c] of p) p.set(k, -c);
  return fromPoly(p);
};

export const dimSub = (a: Dim, b: Dim): Dim => dimAdd(a, dimNeg(b));

export const dimMul = (a: Dim, b: Dim): Dim => {
  if (typeof a === 'number' && typeof b === 'number') return a * b;
  const out: Poly = new Map();
  for (const [ka, ca] of toPoly(a)) {
    for (const [kb, cb] of toPoly(b)) {
      const key = [...(ka ? ka.split('*') : []), ...(kb ? kb.split('*') : [])].sort().join('*');
      out.set(key, (out.get(key) ?? 0) + ca * cb);
    }
  }
  return fromPoly(out);
};

/** Exact division; undefined when the quotient is not a polynomial with integer coefficients. */
export const dimDiv = (a: Dim, b: Dim): Dim | undefined => {
  if (typeof b === 'number') {
    if (b === 0) return undefined;
    if (typeof a === 'number') return a % b === 0 ? a / b : undefined;
    const p = toPoly(a);
    for (const [k, c] of p) {
      if (c % b !== 0) return undefined;
      p.set(k, c / b);
    }
    return fromPoly(p);
  }
  if (a === b) return 1;
  // Divide a monomial product by a single-variable divisor, e.g. (B*T)/T = B.
  const pb = toPoly(b);
  if (pb.size !== 1) return undefined;
  const [[vb, cb]] = [...pb.entries()] as [[string, number]];
  const out: Poly = new Map();
  for (const [k, c] of toPoly(a)) {
    const vars = k ? k.split('*') : [];
    const divVars = vb.split('*');
    for (const v of divVars) {
      const i = vars.indexOf(v);
      if (i < 0) return undefined;
      vars.splice(i, 1);
    }
    if (c % cb !== 0) return undefined;
    out.set(vars.sort().join('*'), c / cb);
  }
  return fromPoly(out);
};

// ⌈d/k⌉ for a literal k (the number of k-step segments of a loop over d steps) is a number when d is one,
// otherwise an opaque name ⌈d/k⌉ that dimEval computes from d's names: d's own ' + ' and '*' are written
// ⊕ and · inside it, so the polynomial parser sees one variable.
const CEIL = /^⌈(.+)\/(\d+)⌉$/;

/** ⌈d / k⌉, k a positive integer. */
export const dimCeilDiv = (d: Dim, k: number): Dim => {
  if (typeof d === 'number') return Math.ceil(d / k);
  if (k === 1) return d;
  return `⌈${d.replace(/ \+ /g, '⊕').replace(/\*/g, '·')}/${k}⌉`;
};

const ceilInner = (name: string): { inner: Dim; k: number } | undefined => {
  const m = CEIL.exec(name);
  return m ? { inner: m[1]!.replace(/⊕/g, ' + ').replace(/·/g, '*'), k: Number(m[2]) } : undefined;
};

/** Substitute concrete values for symbolic names; undefined if a name is unbound. */
export const dimEval = (d: Dim, env: ReadonlyMap<string, number>): number | undefined => {
  if (typeof d === 'number') return d;
  let total = 0;
  for (const [k, c] of toPoly(d)) {
    let v = c;
    for (const name of k ? k.split('*') : []) {
      let x = env.get(name);
      const ceil = x === undefined ? ceilInner(name) : undefined;
      if (ceil) {
        const i = dimEval(ceil.inner, env);
        x = i === undefined ? undefined : Math.ceil(i / ceil.k);
      }
      if (x === undefined) return undefined;
      v *= x;
    }
    total += v;
  }
  return total;
};

/** The input-bound names a dim depends on (those inside a ⌈d/k⌉ included). */
export const dimNames = (d: Dim): string[] => {
  if (typeof d === 'number') return [];
  const names = new Set<string>();
  for (const k of toPoly(d).keys()) {
    for (const v of k ? k.split('*') : []) {
      const ceil = ceilInner(v);
      if (ceil) for (const w of dimNames(ceil.inner)) names.add(w);
      else names.add(v);
    }
  }
  return [...names];
};

export const fmtDim = (d: Dim): string => (typeof d === 'number' ? String(d) : d.replace(/ \+ -/g, '-').replace(/ \+ /g, '+'));
