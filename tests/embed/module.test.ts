// Standalone ES modules (`dlm compile --emit module`): imported in Node with no dlm, they give exactly
// the JIT's outputs and training steps, bind symbolic dims from the input shapes, carry their weights,
// and contain no eval / new Function.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import { compileOrThrow, Trainer } from '../../compiler/index.js';
import { standaloneModule } from '../../compiler/embed/standalone.js';
import { decodeSafetensors, encodeSafetensors } from '../../runtime/checkpoint.js';

const tmp = mkdtempSync(join(tmpdir(), 'dlm-module-'));
let n = 0;
/** Writes the module and imports it as a real ES module file (not through vitest's transform). */
// biome-ignore lint/suspicious/noExplicitAny: a module's exports are typed by its .d.mts, which a test below compiles with tsc --strict
const importModule = async (js: string): Promise<Record<string, any>> => {
  const p = join(tmp, `m${n++}.mjs`);
  writeFileSync(p, js);
  return import(/* @vite-ignore */ pathToFileURL(p).href);
};

// Dense + conv-free MLP with a matmul big enough for the SIMD kernels, and an integer target.
const MLP = `
import nn
model Net {
  input  x: f32[B, 12]
  target y: i32[B]
  layer  l1 = nn.Dense(12, 16)
  layer  l2 = nn.Dense(16, 3)
  output logits = l2(tanh(l1(x)))
  loss   nn.cross_entropy(logits, y)
  optimizer adam(lr = 0.01)
}`;

const data = (B: number, seed = 1) => ({
  x: { data: Float32Array.from({ length: B * 12 }, (_, i) => Math.sin(i * 0.37 + seed)), shape: [B, 12] },
  y: { data: Int32Array.from({ length: B }, (_, i) => (i * 7 + seed) % 3), shape: [B] },
});

describe('standalone module', () => {
  test('predict equals the JIT bit for bit for every compiled batch size, and names inputs and outputs', async () => {
    const model = compileOrThrow(MLP).model('Net', { seed: 3 });
    const { js, dts } = standaloneModule(model, { dims: { B: [1, 5] } });
    const code = js.replace(/^const (WASM|WEIGHTS)_B64 = ".*";$/gm, '');
    expect(code).not.toMatch(/new Function|\bFunction\(|\beval\s*\(|^\s*import[\s{*]|\bimport\(|\brequire\(/m);
    const m = await importModule(js);
    for (const B of [1, 5]) {
      const { x } = data(B);
      const got = m['predict']({ x });
      const want = model.forward({ x });
      expect(Object.keys(got)).toEqual(['logits']);
      expect(got.logits.shape).toEqual([B, 3]);
      expect(Array.from(got.logits.data)).toEqual(Array.from(want['logits']!.data));
    }
    expect(m['predict']({ x: data(4).x }).logits.shape).toEqual([4, 3]); // rows are independent: chunks of 1 (test below)
    const wrong = { x: { data: new Float32Array(8), shape: [2, 4] } };
    expect(() => m['predict'](wrong)).toThrow(/no specialization for x\[2, 4\].*compiled for x\[1, 12\]; x\[5, 12\]/);
    expect(() => m['predict']({})).toThrow(/missing input 'x' \(declared as x: f32\[B, 12\]\)/);
    expect(() => m['predict']({ x: { data: new Float32Array(3), shape: [1, 12] } })).toThrow(/3 elements/);
    expect(dts).toContain('readonly "x": Tensor<Float32Array, readonly [B: number, d1: 12]>;');
    expect(dts).toContain('readonly "logits": Tensor<Float32Array, [B: number, d1: 3]>;');
  });

  test('step() trains exactly like a Trainer (Adam, SIMD matmuls); the weights round-trip through saveWeights', async () => {
    const model = compileOrThrow(MLP).model('Net', { seed: 3 });
    const { js, dts } = standaloneModule(model, { dims: { B: [8] }, train: true });
    expect(dts).toContain('readonly "y": Tensor<Int32Array | Float32Array, readonly [B: number]>;');
    expect(dts).toContain('export declare function step(batch: Batch)');
    const m = await importModule(js);
    const trainer = new Trainer(model);
    for (let s = 0; s < 4; s++) {
      const batch = data(8, s);
      const want = trainer.step(batch).loss;
      expect(m['step'](batch).loss).toBe(want);
    }
    expect(m['training'].step).toBe(4);
    const w = m['getWeights']();
    for (const name of Object.keys(model.params)) expect(Array.from(w[name].data)).toEqual(Array.from(model.params[name]!));
    expect(Array.from(w['optimizer.l1.W.m'].data)).toEqual(Array.from(trainer.state['l1.W.m']!));
    // A fresh copy of the module loads the trained bytes and predicts like the trained model.
    const fresh = await importModule(js);
    fresh['setWeights'](m['saveWeights']());
    expect(fresh['training'].step).toBe(4);
    const { x } = data(8, 9);
    expect(Array.from(fresh['predict']({ x }).logits.data)).toEqual(Array.from(model.forward({ x })['logits']!.data));
    expect(() => fresh['setWeights'](new Uint8Array(4))).toThrow(/too short/);
    // Checkpoint schema 2 keeps optimizer state under '@optimizer/': read as well.
    const { tensors, metadata } = decodeSafetensors(m['saveWeights'](), 'w');
    const renamed = Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k.replace(/^optimizer\./, '@optimizer/'), t]));
    const other = await importModule(js);
    other['setWeights'](encodeSafetensors(renamed, { ...metadata, schema: '2' }));
    expect(Array.from(other['getWeights']()['optimizer.l1.W.m'].data)).toEqual(Array.from(trainer.state['l1.W.m']!));
  });

  test('names that are also object keys (__proto__, toString, constructor, …) are inputs, targets, weights and outputs like any other', async () => {
    // In an object literal "__proto__" sets the prototype, and obj['__proto__'] = v does too: a parameter
    // so named was missing from getWeights() and saveWeights(), so a module could not reload its own bytes,
    // and an input so named was never checked (its table of shapes came out empty).
    const src = `import nn
model M {
  input valueOf: f32[B, 2]
  target toString: f32[B, 1]
  param __proto__: f32[2, 1] = glorot_uniform
  param constructor: f32[1] = zeros
  output hasOwnProperty = valueOf @ __proto__ + constructor
  loss nn.mse(hasOwnProperty, toString)
  optimizer adam(lr = 0.1)
}
model P {
  input __proto__: f32[B, 2]
  output y = __proto__ * 2
}`;
    const program = compileOrThrow(src);
    const model = program.model('M', { seed: 2 });
    const js = standaloneModule(model, { dims: { B: [2] }, train: true }).js;
    const m = await importModule(js);
    const x = { data: Float32Array.of(1, 2, 3, 4), shape: [2, 2] };
    const batch = { valueOf: x, toString: { data: Float32Array.of(1, -1), shape: [2, 1] } };
    const trainer = new Trainer(model);
    expect(m['step'](batch).loss).toBe(trainer.step(batch).loss);
    const w = m['getWeights']();
    expect(Object.keys(w).sort()).toEqual([
      '__proto__',
      'constructor',
      'optimizer.__proto__.m',
      'optimizer.__proto__.v',
      'optimizer.constructor.m',
      'optimizer.constructor.v',
    ]);
    const proto = '__proto__'; // a parameter's name here, not the accessor
    expect(Array.from(w[proto].data)).toEqual(Array.from(model.params[proto]!));
    const fresh = await importModule(js);
    fresh['setWeights'](m['saveWeights']());
    const got = fresh['predict']({ valueOf: x });
    expect(Object.keys(got)).toEqual(['hasOwnProperty']);
    expect(Array.from(got['hasOwnProperty'].data)).toEqual(Array.from(model.forward({ valueOf: x })['hasOwnProperty']!.data));
    // Object.fromEntries makes an own property of every key, __proto__ included
    const p = await importModule(standaloneModule(program.model('P'), { dims: { B: [2] } }).js);
    expect(Object.keys(p['info'].inputs)).toEqual(['__proto__']);
    expect(() => p['predict']({})).toThrow(/missing input '__proto__'/);
    expect(Array.from(p['predict'](Object.fromEntries([['__proto__', x]]))['y'].data)).toEqual([2, 4, 6, 8]);
  });

  test('dropout (a fresh random key per step) and batch-norm state train exactly like a Trainer', async () => {
    const src = `
import nn
model Conv {
  input  x: f32[B, 2, 4, 4]
  target y: i32[B]
  layer  c = nn.Conv2d(2, 3, 3)
  layer  bn = nn.BatchNorm2d(3)
  layer  d = nn.Dense(12, 2)
  output logits = d(nn.dropout(reshape(relu(bn(c(x))), [B, 12]), 0.3))
  loss   nn.cross_entropy(logits, y)
  optimizer sgd(lr = 0.1, momentum = 0.9)
}`;
    const model = compileOrThrow(src).model('Conv', { seed: 4 });
    const m = await importModule(standaloneModule(model, { dims: { B: [3] }, train: true }).js);
    const trainer = new Trainer(model);
    const batch = {
      x: { data: Float32Array.from({ length: 3 * 32 }, (_, i) => Math.cos(i * 0.3)), shape: [3, 2, 4, 4] },
      y: { data: Int32Array.of(0, 1, 1), shape: [3] },
    };
    for (let s = 0; s < 3; s++) expect(m['step'](batch).loss).toBe(trainer.step(batch).loss);
    const w = m['getWeights']();
    for (const name of Object.keys(model.states)) expect(Array.from(w[name].data)).toEqual(Array.from(model.states[name]!));
    expect(Array.from(m['predict']({ x: batch.x }).logits.data)).toEqual(Array.from(model.forward({ x: batch.x })['logits']!.data));
  });

  test('a non-finite loss leaves the weights unchanged and throws', async () => {
    const model = compileOrThrow(MLP).model('Net', { seed: 3 });
    const m = await importModule(standaloneModule(model, { dims: { B: [2] }, train: true }).js);
    const before = m['getWeights']()['l1.W'].data;
    const bad = data(2);
    bad.x.data[0] = NaN;
    expect(() => m['step'](bad)).toThrow(/loss became NaN at step 1/);
    expect(m['getWeights']()['l1.W'].data).toEqual(before);
    expect(m['training'].step).toBe(0);
  });

  test('without WebAssembly the scalar fallback gives the same outputs', async () => {
    const model = compileOrThrow(MLP).model('Net', { seed: 5 });
    const { js } = standaloneModule(model, { dims: { B: [4] } });
    expect(js).toContain('(SIMD matmuls)');
    // Shadow the global as a Content-Security-Policy without 'wasm-unsafe-eval' would make it fail.
    const m = await importModule(`const WebAssembly = { Module: function () { throw new Error('refused by CSP'); } };\n${js}`);
    const { x } = data(4);
    const got = Array.from(m['predict']({ x }).logits.data as Float32Array);
    const want = Array.from(model.forward({ x })['logits']!.data);
    got.forEach((v, i) => {
      expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want[i]!)));
    });
  });

  test('a model with independent rows runs any batch size in chunks of the compiled ones; a batch statistic does not', async () => {
    const model = compileOrThrow(MLP).model('Net', { seed: 2 });
    const m = await importModule(standaloneModule(model, { dims: { B: [4] } }).js);
    expect(m['info'].rowDim).toBe('B');
    for (const B of [7, 2, 8]) {
      const { x } = data(B, B);
      const got = m['predict']({ x }).logits;
      const want = model.forward({ x })['logits']!;
      expect(got.shape).toEqual([B, 3]);
      const tol = (w: number) => 4e-7 * Math.max(1, Math.abs(w));
      (Array.from(got.data) as number[]).forEach((v, i) => {
        expect(Math.abs(v - want.data[i]!)).toBeLessThanOrEqual(tol(want.data[i]!));
      });
    }
    // Centering by the batch mean mixes rows: only the compiled size runs.
    const centered = compileOrThrow('model C {\n  input x: f32[B, 3]\n  output c = x - mean(x, 0, keepdims = true)\n}').model('C');
    const c = await importModule(standaloneModule(centered, { dims: { B: [2] } }).js);
    expect(c['info'].rowDim).toBe(null);
    const three = { x: { data: new Float32Array(9), shape: [3, 3] } };
    expect(() => c['predict'](three)).toThrow(/no specialization for x\[3, 3\] \(declared x: f32\[B, 3\]\); this module was compiled for x\[2, 3\]/);
    expect(c['predict']({ x: { data: Float32Array.of(1, 2, 3, 3, 4, 5), shape: [2, 3] } }).c.data).toEqual(Float32Array.of(-1, -1, -1, 1, 1, 1));
  });

  test('the CLI writes the module and its declarations', async () => {
    const { main } = await import('../../compiler/cli.js');
    const out = join(tmp, 'xor.mjs');
    const err: string[] = [];
    const code = await main(['compile', 'examples/xor.dlm', '--model', 'Mlp', '--emit', 'module', '--dim', 'N=1,4', '--train', '-o', out], {
      log: () => {},
      err: (s) => err.push(s),
      color: false,
      stderrIsTTY: false,
    });
    expect(err.join('\n')).toMatch(/^wrote .*xor\.mjs .* and .*xor\.d\.mts$/);
    expect(code).toBe(0);
    expect(readFileSync(join(tmp, 'xor.d.mts'), 'utf8')).toContain('readonly "p": Tensor<Float32Array, [N: number, d1: 1]>;');
    const m = await import(/* @vite-ignore */ pathToFileURL(out).href);
    const r = m.predict({ x: { data: Float32Array.of(0, 0, 0, 1, 1, 0, 1, 1), shape: [4, 2] } });
    expect(r.p.shape).toEqual([4, 1]);
    expect(typeof m.step).toBe('function');
    // The declarations type-check a correct caller under --strict and reject a wrong rank.
    writeFileSync(
      join(tmp, 'use.mts'),
      [
        "import { predict, step } from './xor.mjs';",
        'const x = { data: new Float32Array(4), shape: [2, 2] } as const;',
        'const p: Float32Array = predict({ x }).p.data;',
        'const l: number = step({ x, y: { data: new Float32Array(2), shape: [2, 1] } }).loss;',
        'void [p, l];',
        '// @ts-expect-error: x is rank 2',
        'predict({ x: { data: new Float32Array(2), shape: [2] } });',
      ].join('\n'),
    );
    writeFileSync(
      join(tmp, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, module: 'nodenext', target: 'es2022', lib: ['es2022'], types: [] },
        files: ['use.mts'],
      }),
    );
    const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', tmp], { encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
  }, 60_000);
});
