// Checks of the module assembler (compiler/codegen/module.ts) and the schedule contract it reads
// (scheduleTypes.ts's lastWriter), written to kill the mutants `npm run mutate` left surviving there
// (docs/mutation.md lists them, and why the rest are equivalent). Hand-built schedules of one
// parameter `w` (buffer in1) and a loss `in0`, emitted, loaded with dlm/runtime and run in float64.
import { describe, expect, test } from 'vitest';
import { emitModule } from '../compiler/codegen/module.js';
import { planMemory } from '../compiler/codegen/plan.js';
import { lastWriter, type InputSlot, type Kernel, type Schedule } from '../compiler/codegen/scheduleTypes.js';
import { bin, load, loop, num, store, v, type Stmt } from '../compiler/loops/loops.js';
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
