// Checks of the module assembler (compiler/codegen/module.ts) and the schedule contract it reads
// (scheduleTypes.ts's lastWriter), written to kill the mutants `npm run mutate` left surviving there
// (docs/mutation.md lists them, and why the rest are equivalent). Hand-built schedules of one
// parameter `w` (buffer in1) and a loss `in0`, emitted, loaded with dlm/runtime and run in float64.
import { describe, expect, test } from 'vitest';
import { emitModule } from '../compiler/codegen/module.js';
import { planMemory } from '../compiler/codegen/plan.js';
import { lastWriter, type InputSlot, type Kernel, type Schedule } from '../compiler/codegen/scheduleTypes.js';
import { bin, comment, load, loop, num, store, v, type Stmt } from '../compiler/loops/loops.js';
import { instantiate } from '../runtime/compiled.js';

const N = 2;
const i = v('i');
const kernel = (name: string, writes: string[], reads: string[], ...body: Stmt[]): Kernel => ({ name, body, writes, reads, note: name });
/** out[i] = a[i] + c over N elements (a kernel updating `a` in place writes it and reads nothing else). */
const plus = (name: string, out: string, a: string, c: number): Kernel =>
  kernel(name, [out], out === a ? [] : [a], loop('i', N, [store(out, i, bin('+', load(a, i), num(c)))]));
const slot = (name: string, role: InputSlot['role'], buf: string): InputSlot => ({
  name,
  role,
  buf,
  shape: [N],
  dtype: 'f32',
  node: undefined as unknown as InputSlot['node'],
});
const sched = (kernels: Kernel[], extra: Partial<Schedule> = {}): Schedule => ({
  kernels,
  temps: [],
  inputs: [slot('loss', 'input', 'in0'), slot('w', 'param', 'in1')],
  outputs: [],
  updates: [],
  guards: [],
  subs: [],
  ...extra,
});
const load64 = (s: Schedule) => {
  const plan = planMemory(s);
  return instantiate(emitModule(s, plan, { title: 'test' }), plan.arenaSize, 'f64');
};

describe('scheduleTypes.ts: lastWriter', () => {
  test('the index of the last kernel that writes a buffer, −1 when none does', () => {
    const ks = [kernel('k0', ['a'], []), kernel('k1', ['b'], ['a']), kernel('k2', ['c', 'a'], ['b'])];
    expect(lastWriter(ks, 'a')).toBe(2);
    expect(lastWriter(ks, 'b')).toBe(1);
    // read by k1, written by nobody (kills 55:144, the start −1 → +1)
    expect(lastWriter(ks, 'd')).toBe(-1);
    expect(lastWriter([], 'a')).toBe(-1);
  });
});

describe('module.ts: the step guard', () => {
  test('a guard no kernel writes (an input) is checked before the first kernel: a NaN leaves w untouched', () => {
    // k0 updates w in place (w + 1); the guard is the loss input itself. Given at +1 (55:144), the guard
    // would be checked after a second kernel that does not exist: never
    const s = sched([plus('k0', 'in1', 'in1', 1)], { guards: ['in0'], updates: [{ input: 1, buf: 'in1', inPlace: true }] });
    const m = load64(s);
    const w = Float64Array.from([1, 2]);
    expect(m.run([Float64Array.from([NaN, 0]), w])).toBe(false);
    expect([...w]).toEqual([1, 2]);
    expect(m.run([Float64Array.from([0, 0]), w])).toBe(true);
    expect([...w]).toEqual([2, 3]);
  });
});

/** The lines of kernel function `name` in the module's source, header comment first. */
const functionOf = (src: string, name: string): string[] => {
  const lines = src.split('\n');
  const at = lines.findIndex((l) => l.startsWith(`function ${name}(`));
  return lines.slice(at - 1, lines.indexOf('}', at) + 1);
};

describe('module.ts: kernel functions', () => {
  test('a body’s first statement is left out when it is the comment the header line already prints, and only then', () => {
    const first = kernel('k0', ['t0'], [], comment('k0'), loop('i', N, [store('t0', i, num(1))]));
    const later = kernel('k1', ['t1'], [], comment('other'), loop('i', N, [store('t1', i, num(2))]), comment('k1'));
    const s = sched([first, later], {
      temps: [
        { name: 't0', size: N, note: '' },
        { name: 't1', size: N, note: '' },
      ],
    });
    const src = emitModule(s, planMemory(s), { title: 'test' });
    expect(functionOf(src, 'k0').filter((l) => l.includes('//'))).toEqual(['// k0: k0']);
    // a comment that is not first stays even when it repeats the note (kills 30:35, `i === 0 || s.k === 'comment'`),
    // and a first comment that is not the note stays
    expect(functionOf(src, 'k1').filter((l) => l.includes('//'))).toEqual(['// k1: k1', '  // other', '  // k1']);
  });
});

describe('module.ts: run', () => {
  // k0 writes the loss t0 = 0, k1 overwrites it with in0 + 0, k2 makes w's new value t1 = w + 1
  const s = sched([kernel('k0', ['t0'], [], loop('i', N, [store('t0', i, num(0))])), plus('k1', 't0', 'in0', 0), plus('k2', 't1', 'in1', 1)], {
    temps: [
      { name: 't0', size: N, note: 'loss' },
      { name: 't1', size: N, note: 'new w' },
    ],
    guards: ['t0'],
    updates: [{ input: 1, buf: 't1' }],
  });

  test('the guard is checked after the last kernel that writes it; the new w is copied in only when it passes', () => {
    const m = load64(s);
    const w = Float64Array.from([1, 2]);
    // checked after k0 (a loss of zeros) the NaN written by k1 would pass
    expect(m.run([Float64Array.from([0, NaN]), w])).toBe(false);
    expect([...w]).toEqual([1, 2]);
    expect(m.run([Float64Array.from([0, 0]), w])).toBe(true);
    expect([...w]).toEqual([2, 3]);
    // the temporaries are the module's buffers, by name
    expect(Object.keys(m.buffers)).toEqual(['t0', 't1']);
    expect([...m.buffers['t1']!]).toEqual([2, 3]);
  });

  test('an update computed in place is not copied again', () => {
    const inPlace = sched([plus('k0', 'in1', 'in1', 1)], { updates: [{ input: 1, buf: 'in1', inPlace: true }] });
    expect(emitModule(inPlace, planMemory(inPlace), { title: 'test' })).not.toContain('.set(');
    const w = Float64Array.from([1, 2]);
    expect(load64(inPlace).run([Float64Array.from([0, 0]), w])).toBe(true);
    expect([...w]).toEqual([2, 3]);
  });
});

describe('module.ts: a guard written by the first kernel', () => {
  test('is checked after that kernel only, not also before it (where it still holds the last call’s value)', () => {
    // k0 writes the loss t0 = in0 + 0, k1 makes w's new value; a NaN loss left in t0 by one call must not
    // fail the next (kills 81:35, `x.at < 0` → `x.at <= 0`)
    const s = sched([plus('k0', 't0', 'in0', 0), plus('k1', 't1', 'in1', 1)], {
      temps: [
        { name: 't0', size: N, note: 'loss' },
        { name: 't1', size: N, note: 'new w' },
      ],
      guards: ['t0'],
      updates: [{ input: 1, buf: 't1' }],
    });
    const m = load64(s);
    const w = Float64Array.from([1, 2]);
    expect(m.run([Float64Array.from([NaN, 0]), w])).toBe(false);
    expect(m.run([Float64Array.from([0, 0]), w])).toBe(true);
    expect([...w]).toEqual([2, 3]);
  });
});
