// The module assembler (compiler/codegen/module.ts) on compiled programs, for the mutants `npm run
// mutate` left surviving there (docs/mutation.md): the generated JavaScript's header, loop-body and
// arena lines (what `dlm compile --emit js` shows a reader), a loop body's buffers placed in its own
// region of the arena (float64 values against the interpreter), and which inputs a module that calls
// the WebAssembly kernels keeps in their memory.
import { describe, expect, test } from 'vitest';
import { fnOf, worst } from './helpers/compiledVsInterp.js';
import { simdHomes } from '../compiler/codegen/module.js';
import { specialize } from '../compiler/jit/jit.js';
import { JS_SIMD } from '../compiler/pipeline.js';

// an RNN whose step has buffers of its own (the products), so its loop body gets a region of the arena
const RNN = `model R {
  input h0: f32[2, 4]
  input x: f32[5, 2, 3]
  input U: f32[3, 4]
  input W: f32[4, 4]
  fn step(h, xt) = tanh(xt @ U + h @ W)
  output hs = scan(step, [h0], x)[0]
}`;

describe('module.ts: the generated JavaScript', () => {
  const spec = specialize(fnOf(RNN), new Map(), 'f64', [], undefined, 'js');
  const lines = spec.source.split('\n');

  test('starts with its title and says how to load it', () => {
    // kills 62:28 (the title line emptied) and 61:136 (`precision` emptied: a module without kernel calls)
    expect(lines[0]).toBe('// dlm: R specialized for static shapes (f64)');
    expect(lines[1]).toBe(`// load with dlm/runtime: instantiate(source, ${spec.plan.arenaSize}, precision)`);
  });

  test('names each loop body and the region of the arena its buffers live in', () => {
    const sub = spec.schedule.subs[0]!;
    const region = spec.plan.placements.find((p) => p.name === sub.arena)!;
    const inner = spec.plan.subs[0]!;
    expect(inner.arenaSize).toBeGreaterThan(0);
    // kills 21:16, 21:37 and 21:57 (the body's name: its prefix without the trailing separator)
    expect(lines).toContain(`// ---- loop body ${sub.prefix.slice(0, -1)}: its buffers live in ${sub.arena}`);
    expect(sub.prefix.slice(0, -1)).toMatch(/^[A-Za-z]\w*[A-Za-z0-9]$/);
    expect(lines).toContain(`// arena region at ${region.offset}: ${inner.arenaSize} elements (${inner.unplannedSize} without reuse)`);
    // the top-level arena's line (a region's says where it starts: kills 36:32)
    expect(lines).toContain(`// arena: ${spec.plan.arenaSize} elements (${spec.plan.unplannedSize} without reuse)`);
  });

  test('a loop body’s buffers are views of its own region: values equal the interpreter’s', () => {
    // region offset found by the body's arena name (kills 19:44 ×2) and added to the base (kills 22:46)
    expect(worst(spec.fn)).toBeLessThan(1e-12);
  });
});

describe('module.ts: the WebAssembly kernels’ homes', () => {
  test('every float32 parameter a kernel reads is listed in the header', () => {
    const f = fnOf(
      'model M {\n  input x: f32[B, 64]\n  param W1: f32[64, 32] = glorot_uniform\n  param W2: f32[32, 16] = glorot_uniform\n  output y = relu(x @ W1) @ W2\n}',
    );
    const spec = specialize(f, new Map([['B', 8]]), 'f32', [], undefined, JS_SIMD);
    const homes = simdHomes(spec.schedule)!.homes;
    expect(homes.length).toBe(2);
    // the homes of both parameters, in the header a reader loads the module with
    const listed = homes.map((h) => `{ input: ${h.input}, size: ${h.size} }`).join(', ');
    expect(spec.source.split('\n')[1]).toBe(`// load with dlm/runtime: instantiate(source, ${spec.plan.arenaSize}, 'f32', { homes: [${listed}] })`);
  });
});

describe('module.ts: integer inputs have no float32 home', () => {
  test('an i32 state past 2^24 keeps its exact value in a module that calls the kernels', () => {
    // a float32 home would round 16,777,217 to 16,777,216 (kills 55:46, `inp.dtype === 'f32'` → `true`)
    const f = fnOf(`model M {
  input x: f32[8, 64]
  param W: f32[64, 32] = glorot_uniform
  state n: i32[1] = zeros
  output y = x @ W
  output m = n + 1
}`);
    const spec = specialize(f, new Map(), 'f32', [], undefined, JS_SIMD);
    const n = spec.schedule.inputs.findIndex((inp) => inp.name === 'n');
    expect(simdHomes(spec.schedule)!.homes.map((h) => h.input)).not.toContain(n);
    const feeds = spec.schedule.inputs.map((inp) =>
      inp.dtype === 'i32' ? Int32Array.of(2 ** 24 + 1) : new Float32Array(inp.shape.reduce((a, b) => a * b, 1)).fill(0.5),
    );
    spec.module.run(feeds);
    expect(Array.from(spec.outputs['m']!)).toEqual([2 ** 24 + 2]);
  });
});

describe('module.ts: which modules call the WebAssembly kernels', () => {
  type Body = readonly { readonly k: string; readonly body?: Body }[];
  const externAt = (ss: Body, depth: number): number[] =>
    ss.flatMap((x) => (x.k === 'extern' ? [depth] : x.k === 'for' || x.k === 'if' ? externAt(x.body ?? [], depth + 1) : []));

  test('a kernel whose kernel call sits inside a loop counts', () => {
    // a batched product of two inputs: one kernel call per batch entry, inside the batch loop
    const f = fnOf('model M {\n  input q: f32[3, 8, 16]\n  input k: f32[3, 16, 8]\n  output y = q @ k\n}');
    const spec = specialize(f, new Map(), 'f32', [], undefined, JS_SIMD);
    const depths = spec.schedule.kernels.flatMap((k) => externAt(k.body, 0));
    expect(depths.length).toBeGreaterThan(0);
    expect(Math.min(...depths)).toBeGreaterThan(0);
    // no parameters: the module calls the kernels with no homes (kills 44:91, 44:92 ×2, 44:100)
    expect(simdHomes(spec.schedule)).toEqual({ homes: [] });
  });

  test('a loop body’s kernel calls count, where the loop’s own kernels make none', () => {
    const f = fnOf(RNN);
    const spec = specialize(f, new Map(), 'f32', [], undefined, JS_SIMD);
    const sub = spec.schedule.subs[0]!.schedule;
    expect(sub.kernels.flatMap((k) => externAt(k.body, 0)).length).toBeGreaterThan(0);
    // the loop's own kernels (copies in and out) call none, so only the body tells (kills 52:100, subs never looked at)
    expect(spec.schedule.kernels.flatMap((k) => externAt(k.body, 0))).toEqual([]);
    expect(simdHomes(spec.schedule)).toBeDefined();
    expect(spec.source.split('\n')[1]).toContain("'f32', { homes: [");
  });
});
