// Small checks of compiler/codegen written to kill the mutants `npm run mutate` left surviving there
// (docs/mutation.md lists each file's survivors, and why the rest are equivalent). Each test was checked
// to fail on the mutants it is named for (`npm run mutate -- --recheck FILE --tests mutantsCodegen --at L:C`).
import { describe, expect, test } from 'vitest';
import { optimize } from '../compiler/api/model.js';
import { Trainer } from '../compiler/api/trainer.js';
import { axisGroups, callsFunction, sameDims } from '../compiler/codegen/fusionRules.js';
import { copyKernel } from '../compiler/codegen/kernels.js';
import { planMemory } from '../compiler/codegen/plan.js';
import { formatStats, programFlops, programStats } from '../compiler/codegen/stats.js';
import { compileOrThrow } from '../compiler/index.js';
import { specialize } from '../compiler/jit/jit.js';
import { bin, call, load, neg, sel, v, type Stmt } from '../compiler/loops/loops.js';
import type { Located } from '../compiler/codegen/placement.js';
import type { InputSlot, Kernel, Schedule, TempBuffer } from '../compiler/codegen/scheduleTypes.js';
import { simdOperands, type Addressing } from '../compiler/codegen/simdOperands.js';

const kernel = (writes: string[], reads: string[] = []): Kernel => ({ name: writes.join(), body: [], writes, reads, note: '' });
const temp = (name: string, size: number, body?: number): TempBuffer => ({ name, size, note: name, ...(body === undefined ? {} : { body }) });
const sched = (kernels: Kernel[], temps: TempBuffer[], extra: Partial<Schedule> = {}): Schedule => ({
  kernels,
  temps,
  inputs: [],
  outputs: [],
  updates: [],
  guards: [],
  subs: [],
  ...extra,
});
const offsets = (s: Schedule, reuse = true) => Object.fromEntries(planMemory(s, reuse).placements.map((p) => [p.name, p.offset]));

describe('plan.ts: the memory plan', () => {
  // a → b → c, each of 4 elements: c may take a's place (a's last read is before c is written), b may not
  const chain = sched([kernel(['a']), kernel(['b'], ['a']), kernel(['c'], ['b'])], [temp('a', 4), temp('b', 4), temp('c', 4)]);

  test('a buffer is free once its last use is strictly before another one is written', () => {
    const p = planMemory(chain);
    expect(offsets(chain)).toEqual({ a: 0, b: 4, c: 0 });
    expect(p.arenaSize).toBe(8);
    expect(p.unplannedSize).toBe(12);
    // a and b are live together at kernel 1, b and c at kernel 2
    expect(p.peakLive).toBe(8);
    expect(p.placements.map((x) => x.size)).toEqual([4, 4, 4]);
  });

  test('without reuse every buffer has its own place', () => {
    expect(offsets(chain, false)).toEqual({ a: 0, b: 4, c: 8 });
    expect(planMemory(chain, false).arenaSize).toBe(12);
  });

  test('outputs and updates live to the end', () => {
    expect(offsets({ ...chain, outputs: [{ name: 'y', buf: 'a', shape: [4] }] })).toEqual({ a: 0, b: 4, c: 8 });
    expect(offsets({ ...chain, updates: [{ input: 0, buf: 'a' }] })).toEqual({ a: 0, b: 4, c: 8 });
    const out = planMemory({ ...chain, outputs: [{ name: 'y', buf: 'a', shape: [4] }] });
    expect(out.arenaSize).toBe(12);
    expect(out.peakLive).toBe(12);
  });

  test('first fit: a freed gap takes a buffer that fits it, not one larger; larger buffers first among equals', () => {
    // k0 writes A, B, C (B is read by nobody after); k1 writes D (fits B's gap) and E (does not)
    const s = sched(
      [kernel(['A', 'B', 'C']), kernel(['E', 'D']), kernel(['F'], ['A', 'C', 'D', 'E'])],
      [temp('A', 4), temp('B', 4), temp('C', 4), temp('D', 4), temp('E', 5), temp('F', 1)],
    );
    const p = planMemory(s);
    expect(offsets(s)).toEqual({ A: 0, B: 4, C: 8, E: 12, D: 4, F: 17 });
    // placed in order of first use, the larger first when two start together
    expect(p.placements.map((x) => x.name)).toEqual(['A', 'B', 'C', 'E', 'D', 'F']);
    expect(p.arenaSize).toBe(18);
  });

  test('an exact fit at the start and between two live buffers', () => {
    // k0 writes A and B; A dies; k1 writes C of A's size (to offset 0), then D larger than the gap
    const s = sched([kernel(['A', 'B']), kernel(['C', 'D'], ['B']), kernel([], ['C', 'D'])], [temp('A', 3), temp('B', 2), temp('C', 3), temp('D', 1)]);
    expect(offsets(s)).toEqual({ A: 0, B: 3, C: 0, D: 5 });
  });

  test('a loop body is planned first and its arena sized by that plan', () => {
    const body = sched([kernel(['x']), kernel(['y'], ['x'])], [temp('x', 3), temp('y', 5)]);
    const s = sched([kernel(['arena']), kernel(['z'], ['arena'])], [temp('arena', 0, 0), temp('z', 2)], {
      subs: [{ prefix: 'b_', schedule: body, arena: 'arena' }],
    });
    const p = planMemory(s);
    expect(p.subs.map((q) => q.arenaSize)).toEqual([8]);
    expect(offsets(s)).toEqual({ arena: 0, z: 8 });
    expect(p.arenaSize).toBe(10);
    expect(p.unplannedSize).toBe(10);
  });

  test('a buffer no kernel uses is placed at the start, live at kernel 0 only', () => {
    const s = sched([kernel(['a']), kernel(['b'], ['a'])], [temp('u', 2), temp('a', 1), temp('b', 1)]);
    // u is live only at kernel 0 (as a); b, written at kernel 1, takes u's place
    expect(offsets(s)).toEqual({ u: 0, a: 2, b: 0 });
    expect(planMemory(s).peakLive).toBe(3);
  });
});

describe('stats.ts: what a program costs', () => {
  test('formatStats: kFLOP below a million, MFLOP from it; KiB with one decimal below 10 KiB', () => {
    const st = {
      kernels: 3,
      loops: 2,
      flops: 999_999,
      arenaBytes: 10_240,
      unplannedBytes: 10_239,
      livePeakBytes: 1024,
      paramBytes: 512,
      stateBytes: 256,
      savedActivationBytes: 2048,
      peakBytes: 11_008,
    };
    expect(formatStats(st)).toBe(
      'kernels 3, loops 2, 1000.0 kFLOP per call\n' +
        'arena 10 KiB (10.0 KiB without reuse; largest live set 1.0 KiB)\n' +
        'memory: parameters 0.5 KiB + state 0.3 KiB + arena 10 KiB = peak 11 KiB',
    );
    const lines = formatStats({ ...st, flops: 1e6, minimumBytes: 4096 }).split('\n');
    expect([lines[0], lines[3]]).toEqual([
      'kernels 3, loops 2, 1.00 MFLOP per call',
      'minimum: parameters + gradients 1.0 KiB + state 0.3 KiB + saved activations 2.0 KiB = 4.0 KiB; peak / minimum = 2.69',
    ]);
  });

  test('a training step: saved activations are the forward values backward reads (not inputs, not constants)', () => {
    const m = compileOrThrow('model M {\n  input x: f32[B, 4]\n  param w: f32[4, 3] = zeros\n  loss mean(tanh(x @ w))\n  optimizer sgd(lr = 0.1)\n}').model();
    const f = optimize(new Trainer(m).program.fn);
    const spec = specialize(f, new Map([['B', 2]]));
    const st = programStats(f, spec.env, spec.schedule, spec.plan, spec.source);
    // backward reads tanh(x @ w) [2, 3] (tanh' = 1 − y²), x itself (an input) and the constant B·3
    expect(st.savedActivationBytes).toBe(2 * 3 * 4);
    expect(st.paramBytes).toBe(4 * 3 * 4);
    expect(st.minimumBytes).toBe(2 * 48 + 24);
    expect(st.arenaBytes).toBe(spec.plan.arenaSize * 4);
    expect(st.unplannedBytes).toBe(spec.plan.unplannedSize * 4);
    expect(st.livePeakBytes).toBe(spec.plan.peakLive * 4);
    expect(st.kernels).toBe(spec.schedule.kernels.length);
    expect(st.loops).toBe(spec.source.split('for (').length - 1);
    // a forward program has no minimum
    const g = optimize(m.ir.fn);
    const fwd = specialize(g, new Map([['B', 2]]));
    expect(programStats(g, fwd.env, fwd.schedule, fwd.plan, fwd.source).minimumBytes).toBeUndefined();
  });

  test('flops: a movement op costs nothing, a reduction one per input element, a loop its body per step', () => {
    const g = compileOrThrow(
      'model M {\n  input a: f32[3, 5]\n  param w: f32[5, 7] = zeros\n  output y = transpose(a @ w, [1, 0])\n  output s = sum(a, axis = 1)\n}',
    ).model();
    expect(programFlops(g.ir.fn, new Map())).toBe(2 * 3 * 7 * 5 + 3 * 5);
    const r = compileOrThrow(
      'import seq\nmodel R {\n  input x: f32[B, T, 3]\n  layer cell = seq.RNNCell(3, 6)\n  output h = seq.rnn(cell, x, seq.zeros_state(x, 6))\n}',
    ).model();
    // at least the recurrent product h·Wh, 2·B·6·6 per step
    expect(
      programFlops(
        r.ir.fn,
        new Map([
          ['B', 2],
          ['T', 8],
        ]),
      ),
    ).toBeGreaterThanOrEqual(8 * 2 * 2 * 6 * 6);
  });

  test('saved activations: a view backward reads counts as its source, once; a concat is a value of its own', () => {
    const m = compileOrThrow(
      'model M {\n  input x: f32[B, 4]\n  param w: f32[4, 3] = zeros\n  loss sum(square(reshape(tanh(x @ w), [B * 3])))\n  optimizer sgd(lr = 0.1)\n}',
    ).model();
    const f = optimize(new Trainer(m).program.fn);
    const spec = specialize(f, new Map([['B', 2]]));
    expect(programStats(f, spec.env, spec.schedule, spec.plan, spec.source).savedActivationBytes).toBe(2 * 3 * 4);
    // square's backward reads the concat [2, 7], tanh's its output [2, 3]
    const c = compileOrThrow(
      'model M {\n  input x: f32[B, 4]\n  param w: f32[4, 3] = zeros\n  loss sum(square(concat([tanh(x @ w), x], axis = 1)))\n  optimizer sgd(lr = 0.1)\n}',
    ).model();
    const g = optimize(new Trainer(c).program.fn);
    const gs = specialize(g, new Map([['B', 2]]));
    expect(programStats(g, gs.env, gs.schedule, gs.plan, gs.source).savedActivationBytes).toBe((2 * 7 + 2 * 3) * 4);
  });

  test('a loop body’s kernels count with the program’s', () => {
    const m = compileOrThrow(
      'import seq\nmodel R {\n  input x: f32[B, T, 3]\n  layer cell = seq.RNNCell(3, 6)\n  output h = seq.rnn(cell, x, seq.zeros_state(x, 6))\n}',
    ).model();
    const f = optimize(m.ir.fn);
    const spec = specialize(
      f,
      new Map([
        ['B', 2],
        ['T', 3],
      ]),
    );
    const inLoops = spec.schedule.subs.reduce((p, b) => p + b.schedule.kernels.length, 0);
    expect(inLoops).toBeGreaterThan(0);
    expect(programStats(f, spec.env, spec.schedule, spec.plan, spec.source).kernels).toBe(spec.schedule.kernels.length + inLoops);
  });
});

describe('fusionRules.ts: facts the planner decides with', () => {
  test('axisGroups: consecutive axes whose sizes multiply to each target dim, size-1 axes their own group', () => {
    expect(axisGroups([2, 3, 4], [6, 4])).toEqual([[0, 1], [2]]);
    expect(axisGroups([2, 3, 4], [2, 12])).toEqual([[0], [1, 2]]);
    expect(axisGroups([1, 6], [6])).toEqual([[0, 1]]);
    expect(axisGroups([6, 1], [6, 1])).toEqual([[0], [1]]);
    expect(axisGroups([6, 1, 2], [6, 1, 2])).toEqual([[0], [1], [2]]);
    expect(axisGroups([6], [6])).toEqual([[0]]);
    // not a flat reshape: a target dim that no run of axes makes, axes left over, a size-1 dim from nothing
    expect(axisGroups([2, 3], [3, 2])).toBeUndefined();
    expect(axisGroups([2, 3, 4], [6])).toBeUndefined();
    expect(axisGroups([6], [6, 1])).toBeUndefined();
    expect(axisGroups([4, 3], [2, 6])).toBeUndefined();
  });

  test('sameDims and callsFunction', () => {
    expect(sameDims([2, 3], [2, 3])).toBe(true);
    expect(sameDims([2, 3], [2, 4])).toBe(false);
    expect(sameDims([2], [2, 1])).toBe(false);
    expect(sameDims([2, 1], [2])).toBe(false);
    const e = call('exp', v('x'));
    expect(callsFunction(e)).toBe(true);
    expect(callsFunction(bin('+', v('x'), v('y')))).toBe(false);
    expect(callsFunction(bin('+', e, v('y')))).toBe(true);
    expect(callsFunction(bin('+', v('y'), e))).toBe(true);
    expect(callsFunction(neg(e))).toBe(true);
    expect(callsFunction(neg(v('x')))).toBe(false);
    expect(callsFunction(sel(e, v('x'), v('y')))).toBe(true);
    expect(callsFunction(sel(v('c'), e, v('y')))).toBe(true);
    expect(callsFunction(sel(v('c'), v('x'), e))).toBe(true);
    expect(callsFunction(sel(v('c'), v('x'), v('y')))).toBe(false);
    expect(callsFunction(load('b', e))).toBe(true);
    expect(callsFunction(load('b', v('i')))).toBe(false);
  });
});

describe('simdOperands.ts: which operands of a SIMD matmul must be copied into memory', () => {
  const slots: InputSlot[] = [
    { name: 'x', role: 'input', buf: 'in0', shape: [2, 3], dtype: 'f32', node: undefined as unknown as InputSlot['node'] },
    { name: 'w', role: 'param', buf: 'in1', shape: [3, 4], dtype: 'f32', node: undefined as unknown as InputSlot['node'] },
    { name: 'ids', role: 'input', buf: 'in2', shape: [2], dtype: 'i32', node: undefined as unknown as InputSlot['node'] },
    { name: 's', role: 'state', buf: 'in3', shape: [4], dtype: 'f32', node: undefined as unknown as InputSlot['node'] },
  ];
  const make = (addressing: Addressing, on = true, loopBody = false) => {
    const temps: string[][] = [],
      kernels: [number, string, string][] = [],
      bodies: Stmt[][] = [];
    let n = 0;
    const ops = simdOperands({
      on,
      addressing,
      loopBody,
      inputs: slots,
      newTemp: (shape, note) => {
        temps.push([shape.join('x'), note]);
        return `t${temps.length - 1}`;
      },
      addKernel: (body, writes, note) => {
        kernels.push([body.length, writes, note]);
        bodies.push(body);
      },
      fresh: (h) => `${h}${n++}`,
    });
    return { ops, temps, kernels, bodies };
  };
  const at = (buf: string): Located => ({ buf, view: { offset: 0, strides: [3, 1] }, shape: [2, 3] });

  test('kernel: scalar loops off or in float64; a batch input copied in js, a parameter, state or temp not', () => {
    expect(make('js', false).ops.kernel(true, at('in0'), 'mm')).toBeUndefined();
    expect(make('js').ops.kernel(false, at('in0'), 'mm')).toBeUndefined();
    const js = make('js');
    expect(js.ops.kernel(true, at('in0'), 'mm')).toMatchObject({ copyA: true });
    expect(js.ops.kernel(true, at('in0'), 'mm')).not.toHaveProperty('rowBudget');
    expect(js.ops.kernel(true, at('in1'), 'mm')).toMatchObject({ copyA: false });
    expect(js.ops.kernel(true, at('in3'), 'mm')).toMatchObject({ copyA: false });
    expect(js.ops.kernel(true, at('t5'), 'mm')).toMatchObject({ copyA: false });
    // in a loop body every input is in memory (its scan passes arena buffers, homes or copies)
    expect(make('js', true, true).ops.kernel(true, at('in0'), 'mm')).toMatchObject({ copyA: false });
    js.ops.kernel(true, at('in0'), 'mm')!.scratch(7);
    expect(js.temps).toEqual([['7', 'scratch of mm']]);
  });

  test('kernel: wasm and native address every buffer; their row budgets and native’s C contracts', () => {
    const wasm = make('wasm').ops.kernel(true, at('in0'), 'mm')!;
    expect(wasm).toMatchObject({ copyA: false, rowBudget: 1 << 13 });
    expect(wasm).not.toHaveProperty('anyStrides');
    expect(wasm).not.toHaveProperty('foldBatch');
    expect(make('native').ops.kernel(true, at('in0'), 'mm')).toMatchObject({ copyA: false, rowBudget: 1 << 15, anyStrides: true, foldBatch: true });
  });

  test('addressable: a float32 batch input in js is copied whole into a temp (the same view of it); nothing else is', () => {
    const js = make('js');
    const l = { ...at('in0'), view: { offset: 1, strides: [1, 2] } };
    expect(js.ops.addressable(l)).toEqual({ ...l, buf: 't0' });
    expect(js.temps).toEqual([['2x3', 'copy of input x for a SIMD kernel']]);
    expect(js.kernels.map(([len, w, note]) => [len > 0, w, note])).toEqual([[true, 't0', 'copy of input x into WebAssembly memory']]);
    // the whole input, from element 0 of each axis
    let n = 0;
    expect(js.bodies[0]).toEqual(copyKernel('t0', [2, 3], [0, 0], [2, 3], { buf: 'in0', offset: 0, strides: [3, 1] }, (h) => `${h}${n++}`));
    for (const buf of ['in1', 'in2', 'in3', 't4']) expect(js.ops.addressable(at(buf))).toEqual(at(buf));
    expect(js.temps.length).toBe(1);
    expect(make('js', false).ops.addressable(at('in0'))).toEqual(at('in0'));
    expect(make('wasm').ops.addressable(at('in0'))).toEqual(at('in0'));
    expect(make('js', true, true).ops.addressable(at('in0'))).toEqual(at('in0'));
  });
});

describe('schedule.ts: outputs own their buffers', () => {
  const scheduled = (body: string) => {
    const f = optimize(compileOrThrow(`model M {\n  input x: f32[2, 3]\n${body}\n}`).model().ir.fn);
    const s = specialize(f, new Map()).schedule;
    return { kernels: s.kernels.map((k) => `${k.writes} <- ${k.reads}: ${k.note.split(' ')[0]}`), outputs: s.outputs.map((o) => [o.name, o.buf, o.shape]) };
  };
  test('an input given out is copied', () => {
    expect(scheduled('  output a = x')).toEqual({ kernels: ['t0 <- in0: copy'], outputs: [['a', 't0', [2, 3]]] });
  });
  test('a value under two output names is stored once', () => {
    expect(scheduled('  let y = tanh(x)\n  output a = y\n  output b = y')).toEqual({
      kernels: ['t0 <- in0: tanh'],
      outputs: [
        ['a', 't0', [2, 3]],
        ['b', 't0', [2, 3]],
      ],
    });
  });
  test('a view of another output’s buffer is copied', () => {
    expect(scheduled('  let y = tanh(x)\n  output a = y\n  output b = reshape(y, [3, 2])')).toEqual({
      kernels: ['t0 <- in0: tanh', 't1 <- t0: copy'],
      outputs: [
        ['a', 't0', [2, 3]],
        ['b', 't1', [3, 2]],
      ],
    });
  });
});
