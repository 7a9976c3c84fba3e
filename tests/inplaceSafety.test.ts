// The in-place pass's safety rules (codegen/inplace.ts), each on a hand-built schedule of one parameter
// `w` (buffer in0) whose new value the kernel `upd` computes into t0. tests/inplace.test.ts shows the
// pass is bit-identical on real training steps, which all take the safe path; these pin each reason to
// decline (a read of the old value at another element, a guard decided after the write, a second
// writer, ...) and the renaming of later readers. Written to kill the mutants `npm run mutate` left
// surviving in inplace.ts (README, Developing dlm); each was checked to fail on its mutant.
import { describe, expect, test } from 'vitest';
import { inPlaceUpdates } from '../compiler/codegen/inplace.js';
import type { InputSlot, Kernel, Schedule } from '../compiler/codegen/scheduleTypes.js';
import { add, bin, call, load, neg, num, sel, v, type Expr, type Stmt } from '../compiler/loops/loops.js';

const N = 4;
const i = v('i');
const loop = (...body: Stmt[]): Stmt => ({ k: 'for', v: 'i', from: num(0), to: num(N), step: 1, body });
const store = (buf: string, index: Expr, e: Expr): Stmt => ({ k: 'store', buf, index, e });
const kernel = (name: string, writes: string[], reads: string[], ...body: Stmt[]): Kernel => ({ name, body, writes, reads, note: name });
/** w − 0.1·g at element i, with w read at `at` (i: the safe update). */
const sgd = (at: Expr = i): Expr => bin('-', load('in0', at), bin('*', num(0.1), load('g', i)));
const upd = (...body: Stmt[]): Kernel => kernel('upd', ['t0'], ['in0', 'g'], ...(body.length ? body : [loop(store('t0', i, sgd()))]));

const slot = (name: string, buf: string): InputSlot => ({
  name,
  role: 'param',
  buf,
  shape: [N],
  dtype: 'f32',
  node: undefined as unknown as InputSlot['node'],
});
const schedule = (kernels: Kernel[], extra: Partial<Schedule> = {}): Schedule => ({
  kernels,
  temps: [{ name: 't0', size: N, note: 'new w' }],
  inputs: [slot('w', 'in0'), slot('g', 'g')],
  outputs: [],
  updates: [{ input: 0, buf: 't0' }],
  guards: [],
  subs: [],
  ...extra,
});
const inPlace = (s: Schedule): boolean => inPlaceUpdates(s).updates[0]!.inPlace === true;

describe('the update kernel reads the old value only where it stores the new one', () => {
  test('w − 0.1·g, element by element: written into w, its temporary gone', () => {
    const r = inPlaceUpdates(schedule([upd()]));
    expect(r.updates[0]).toEqual({ input: 0, buf: 'in0', inPlace: true });
    expect(r.temps).toEqual([]);
    expect(r.kernels[0]!.writes).toEqual(['in0']);
    expect(JSON.stringify(r.kernels)).not.toContain('"t0"');
  });

  test('a read at another element (w[3 − i], so w[0] would be read after w[3] is overwritten) declines', () => {
    expect(inPlace(schedule([upd(loop(store('t0', i, sgd(bin('-', num(N - 1), i)))))]))).toBe(false);
  });

  test('indices equal once `+ 0` is dropped and immutable constants substituted count as the same element', () => {
    expect(inPlace(schedule([upd(loop(store('t0', i, sgd({ k: 'bin', op: '+', a: i, b: num(0) }))))]))).toBe(true);
    expect(inPlace(schedule([upd(loop(store('t0', i, sgd({ k: 'bin', op: '+', a: num(0), b: i }))))]))).toBe(true);
    const off: Stmt = { k: 'let', name: 'o', e: num(0) };
    expect(inPlace(schedule([upd(loop(off, store('t0', { k: 'bin', op: '+', a: v('o'), b: i }, sgd())))]))).toBe(true);
    // the constant declared inside an `if` in the loop
    const guarded: Stmt = { k: 'if', conds: [bin('<', i, num(N))], body: [off, store('t0', add(i, v('o')), sgd())] };
    expect(inPlace(schedule([upd(loop(guarded))]))).toBe(true);
    // a mutable `let o = 0` may change before the store: not a constant, so the indices differ
    expect(inPlace(schedule([upd(loop({ ...off, mutable: true }, store('t0', { k: 'bin', op: '+', a: v('o'), b: i }, sgd())))]))).toBe(false);
    // a constant that is not 0 shifts the element
    expect(inPlace(schedule([upd(loop({ k: 'let', name: 'o', e: num(1) }, store('t0', { k: 'bin', op: '+', a: v('o'), b: i }, sgd())))]))).toBe(false);
  });

  test('reads at other elements that a careless index comparison would equate decline', () => {
    const j = v('j');
    const raw = (op: '+' | '*', a: Expr, b: Expr): Expr => ({ k: 'bin', op, a, b });
    // w[0·i] and w[i·0] are w[0] for every i; w[i + (−1)] and w[(−1) + i] are the element already overwritten
    for (const at of [raw('*', num(0), i), raw('*', i, num(0)), raw('+', i, num(-1)), raw('+', num(-1), i)]) {
      expect(inPlace(schedule([upd(loop(store('t0', i, sgd(at))))])), JSON.stringify(at)).toBe(false);
    }
    // a transposed read: t0[4i + j] = w[4j + i]
    const grid = (e: Stmt): Stmt => loop({ k: 'for', v: 'j', from: num(0), to: num(N), step: 1, body: [e] });
    const t = (a: Expr, b: Expr) => raw('+', raw('*', num(N), a), b);
    expect(inPlace(schedule([upd(grid(store('t0', t(i, j), sgd(t(j, i)))))]))).toBe(false);
    expect(inPlace(schedule([upd(grid(store('t0', t(i, j), sgd(t(i, j)))))]))).toBe(true);
    // immutable lets that are not numbers are not constants: a = i, b = 3 − i name different elements
    const lets: Stmt[] = [
      { k: 'let', name: 'a', e: i },
      { k: 'let', name: 'b', e: bin('-', num(N - 1), i) },
    ];
    expect(inPlace(schedule([upd(loop(...lets, store('t0', v('a'), sgd(v('b')))))]))).toBe(false);
  });

  test('a store whose index reads w or the new value declines; one indexed through another buffer is in place', () => {
    expect(inPlace(schedule([upd(loop(store('t0', load('in0', i), load('g', i))))]))).toBe(false);
    expect(inPlace(schedule([upd(loop(store('t0', load('t0', i), load('g', i))))]))).toBe(false);
    // w[p[i]] −= 0.1·g[i]: w read only at the element stored
    expect(inPlace(schedule([upd(loop(store('t0', load('p', i), sgd(load('p', i)))))]))).toBe(true);
  });

  test('a read of w inside an `if` at another element declines', () => {
    const body: Stmt = { k: 'if', conds: [bin('<', i, num(N))], body: [store('t0', i, sgd(bin('-', num(N - 1), i)))] };
    expect(inPlace(schedule([upd(loop(body))]))).toBe(false);
  });

  test('the kernel reading back its own output (a running sum) declines', () => {
    expect(inPlace(schedule([upd(loop(store('t0', i, bin('+', sgd(), load('t0', bin('-', i, num(1)))))))]))).toBe(false);
  });

  test('w read by a store into another buffer after w[i] is stored declines (it would read the new value)', () => {
    const k = kernel('upd', ['t0', 't1'], ['in0', 'g'], loop(store('t0', i, sgd()), store('t1', i, load('in0', i))));
    expect(inPlace(schedule([k]))).toBe(false);
  });

  test('w or the new value in a `let`, in a loop bound, in a call or an extern kernel declines; other buffers there do not', () => {
    const ok = loop(store('t0', i, sgd()));
    expect(inPlace(schedule([upd(loop({ k: 'let', name: 'a', e: load('in0', i) }, store('t0', i, v('a'))))]))).toBe(false);
    expect(inPlace(schedule([upd(loop({ k: 'let', name: 'a', e: load('t0', i) }, store('t0', i, sgd())))]))).toBe(false);
    expect(inPlace(schedule([upd(loop({ k: 'let', name: 'a', e: load('g', i) }, store('t0', i, bin('-', load('in0', i), v('a')))))]))).toBe(true);
    const bound: Stmt = { k: 'for', v: 'i', from: num(0), to: load('in0', num(0)), step: 1, body: [store('t0', i, sgd())] };
    expect(inPlace(schedule([upd(bound)]))).toBe(false);
    const callOf = (...args: string[]): Stmt => ({ k: 'call', fn: 'body0', args });
    expect(inPlace(schedule([upd(ok, callOf('in0'))]))).toBe(false);
    expect(inPlace(schedule([upd(ok, callOf('t0'))]))).toBe(false);
    expect(inPlace(schedule([upd(ok, callOf('g'))]))).toBe(true);
    const ext = (...bufs: string[]): Stmt => ({
      k: 'extern',
      fn: 'mm_strided',
      out: 't9',
      args: [...bufs.map((buf) => ({ k: 'ptr' as const, buf, index: num(0) })), num(N)],
    });
    expect(inPlace(schedule([upd(ok, ext('in0', 'g'))]))).toBe(false);
    expect(inPlace(schedule([upd(ok, ext('g', 't0'))]))).toBe(false);
    expect(inPlace(schedule([upd(ok, ext('g'))]))).toBe(true);
  });
});

describe('the rest of the schedule', () => {
  test('later kernels reading the new value read it from w, through every kind of expression and statement', () => {
    const readerOf = (w: string): Kernel => {
      const x = load(w, i);
      const body: Stmt[] = [
        { k: 'let', name: 'a', e: neg(x), mutable: true },
        { k: 'set', name: 'a', e: sel(bin('<', x, num(0)), call('exp', x), load('g', i)) },
        { k: 'for', v: 'j', from: load(w, num(0)), to: load(w, num(1)), step: 1, body: [store('out', v('j'), x)] },
        { k: 'if', conds: [bin('<', x, num(1))], body: [store('out', i, v('a'))] },
        { k: 'call', fn: 'body0', args: [w, 'g'] },
        { k: 'extern', fn: 'mm_strided', out: 'out', args: [{ k: 'ptr', buf: w, index: i }, { k: 'ptr', buf: 'out', index: num(0) }, load(w, num(2))] },
      ];
      return kernel('reader', ['out'], [w, 'g'], loop(...body));
    };
    const r = inPlaceUpdates(schedule([upd(), readerOf('t0')]));
    expect(r.updates[0]!.inPlace).toBe(true);
    expect(r.kernels[1]).toEqual(readerOf('in0'));
  });

  test('a second writer of the new value, or the new value being an output, declines', () => {
    const zero = kernel('zero', ['t0'], [], loop(store('t0', i, num(0))));
    expect(inPlace(schedule([zero, upd()]))).toBe(false);
    expect(inPlace(schedule([upd()], { outputs: [{ name: 'w_new', buf: 't0', shape: [N] }] }))).toBe(false);
    expect(inPlace(schedule([upd()], { outputs: [{ name: 'other', buf: 't7', shape: [N] }] }))).toBe(true);
  });

  test('a new value no kernel writes (w ← another input) is left alone, guards or not', () => {
    const loss = kernel('loss', ['l'], ['g'], store('l', num(0), load('g', num(0))));
    for (const guards of [[], ['l']]) {
      const r = inPlaceUpdates(schedule([loss], { updates: [{ input: 0, buf: 'g' }], guards }));
      expect(r.updates[0]!.inPlace).toBeFalsy();
      expect(r.kernels.map((k) => k.name)).toEqual(['loss']);
    }
  });

  test('with no guards, an update in the first kernel is in place and nothing is reordered', () => {
    const other = kernel('other', ['t5'], ['g'], loop(store('t5', i, load('g', i))));
    const r = inPlaceUpdates(schedule([upd(), other]));
    expect(r.updates[0]!.inPlace).toBe(true);
    expect(r.kernels.map((k) => k.name)).toEqual(['upd', 'other']);
  });
});

describe('guards (the loss must be finite) are decided before w is overwritten', () => {
  const guard = (reads: string[] = ['g'], writes: string[] = ['ok']): Kernel =>
    kernel('guard', writes, reads, store(writes[0]!, num(0), load(reads[0]!, num(0))));
  const names = (s: Schedule) => s.kernels.map((k) => k.name);

  test('an update computed before the guard is moved after it, then written in place', () => {
    const r = inPlaceUpdates(schedule([upd(), guard()], { guards: ['ok'] }));
    expect(r.updates[0]!.inPlace).toBe(true);
    expect(names(r)).toEqual(['guard', 'upd']);
  });

  test('it is not moved past a kernel that reads the new value, or that writes what it reads or writes', () => {
    for (const g of [guard(['t0', 'g']), guard(['g'], ['ok', 'g']), guard(['g'], ['ok', 'in0'])]) {
      const r = inPlaceUpdates(schedule([upd(), g], { guards: ['ok'] }));
      expect(r.updates[0]!.inPlace, JSON.stringify(g.reads.concat(g.writes))).toBeFalsy();
      expect(names(r)).toEqual(['upd', 'guard']);
    }
    const between = kernel('mid', ['m'], ['t0'], store('m', num(0), load('t0', num(0))));
    const r = inPlaceUpdates(schedule([upd(), between, guard()], { guards: ['ok'] }));
    expect(r.updates[0]!.inPlace).toBeFalsy();
    expect(names(r)).toEqual(['upd', 'mid', 'guard']);
  });

  test('a kernel that writes the guard and the new value together is not in place', () => {
    const both = kernel('both', ['t0', 'ok'], ['in0', 'g'], loop(store('t0', i, sgd())), store('ok', num(0), load('g', num(0))));
    expect(inPlace(schedule([both], { guards: ['ok'] }))).toBe(false);
  });

  test('an update after the guard stays where it is', () => {
    const r = inPlaceUpdates(schedule([guard(), upd()], { guards: ['ok'] }));
    expect(r.updates[0]!.inPlace).toBe(true);
    expect(names(r)).toEqual(['guard', 'upd']);
  });
});
