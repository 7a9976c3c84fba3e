// The native backend (C through the system compiler, loaded with koffi) computes what the JavaScript
// backend computes: random programs' forward passes and gradients in float64 (to 1e-12) and float32
// (to float32 rounding), and whole training steps — an MLP with Adam, a small LeNet-like convolutional
// network, an LSTM through `scan`, and a model with two losses — to float32 rounding. Also: the step
// guard (a non-finite gradient updates nothing), the on-disk cache, and names from the .dlm file never
// reaching the C source. Float32 modules compute in double and round when they store, as JavaScript
// does. Skipped, saying why, where no C compiler or koffi is available.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { randomInputs } from '../compiler/api/gradcheck.js';
import { Trainer } from '../compiler/api/trainer.js';
import { RunError } from '../compiler/api/errors.js';
import type { BackendChoice } from '../compiler/native/backend.js';
import { nativeUnavailable, reprobeNative, setBackendNotes } from '../compiler/native/backend.js';
import { setNativeThreads } from '../runtime/native/load.js';
import { Rng } from '../runtime/random.js';
import type { Tensor } from '../runtime/tensor.js';
import { compileOk } from './helpers/compile.js';
import { runCli } from './helpers/cli.js';
import { assertBackendMatchesJs, relDiff } from './helpers/backendEquivalence.js';
import { labelTensor, lstmMomentumSource, normalTensor, twoLossesSource } from './helpers/models.js';

const why = nativeUnavailable();
if (why) console.warn(`tests/native.test.ts skipped: ${why}`);

describe.skipIf(why !== undefined)('native backend', () => {
  test('random programs: forward passes and gradients equal the JavaScript backend (f64 to 1e-12, f32 to rounding)', () => {
    assertBackendMatchesJs('native', 5, 7);
  }, 120_000);

  const normal = normalTensor,
    labels = labelTensor;

  const MODELS: Record<string, { src: string; batch: (r: Rng) => Record<string, Tensor> }> = {
    mlp: {
      src: `import nn
model M {
  input x: f32[B, 30]
  target y: i32[B]
  layer l1 = nn.Dense(30, 24)
  layer l2 = nn.Dense(24, 7)
  output logits = l2(relu(l1(x)))
  loss nn.cross_entropy(logits, y)
  optimizer adam(lr = 0.01)
}`,
      batch: (r) => ({ x: normal(r, [9, 30]), y: labels(r, [9], 7) }),
    },
    lenet: {
      src: `import nn
model M {
  input x: f32[B, 1, 12, 12]
  target y: i32[B]
  layer c1 = nn.Conv2d(1, 4, 3, padding = 1)
  layer c2 = nn.Conv2d(4, 6, 3)
  layer out = nn.Dense(6 * 2 * 2, 5)
  let s = max_pool2d(relu(c2(max_pool2d(relu(c1(x)), 2))), 2)
  output logits = out(nn.flatten(s))
  loss nn.cross_entropy(logits, y)
  optimizer adam(lr = 0.01)
}`,
      batch: (r) => ({ x: normal(r, [3, 1, 12, 12]), y: labels(r, [3], 5) }),
    },
    lstm: { src: lstmMomentumSource(6, 5, 12), batch: (r) => ({ x: normal(r, [3, 6, 5]), y: labels(r, [3, 6], 5) }) },
    two_losses: { src: twoLossesSource(9), batch: (r) => ({ x: normal(r, [4, 9]) }) },
  };

  const train = (name: string, backend: BackendChoice) => {
    const { src, batch } = MODELS[name]!;
    const m = compileOk(src).model('M', { seed: 3, backend });
    const t = new Trainer(m);
    const r = new Rng(11);
    const losses = [0, 1, 2].map(() => t.step(batch(r)).loss);
    return { t, losses, values: { ...m.params, ...t.state } };
  };

  test.each(Object.keys(MODELS))(
    'training steps of %s equal the wasm backend to float32 rounding',
    (name) => {
      const a = train(name, 'wasm'),
        b = train(name, 'native');
      expect(b.t.compile(MODELS[name]!.batch(new Rng(1)))[0]!.backend).toBe('native');
      expect(relDiff(a.losses, b.losses)).toBeLessThan(1e-5);
      for (const [k, v] of Object.entries(a.values)) expect(relDiff(v, b.values[k]!), k).toBeLessThan(1e-4);
    },
    60_000,
  );

  test('a non-finite gradient updates nothing (the guard runs inside the C step), and a second compile is a cache hit', () => {
    const src = `model Root {
  input x: f32[B, 2]
  param w: f32[2] = zeros
  loss mean(sqrt(x * w * w))
  optimizer adam(lr = 0.1)
}`;
    const m = compileOk(src).model(undefined, { backend: 'native' });
    const t = new Trainer(m);
    const x = { data: Float32Array.from([1, 2, 3, 4]), shape: [2, 2] };
    let err: unknown;
    try {
      t.step({ x });
    } catch (e) {
      err = e;
    }
    expect((err as RunError).diagnostics[0]!.code).toBe('E0404');
    expect(Array.from(m.params['w']!)).toEqual([0, 0]);
    expect(t.t).toBe(0);
    const again = new Trainer(compileOk(src).model(undefined, { backend: 'native' })).compile({ x })[0]!;
    expect(again.native?.cached).toBe(true);
  });

  test('on two threads (setNativeThreads) a large product splits over OpenMP threads and gives the same result', () => {
    setNativeThreads(2);
    try {
      const src = 'model MM {\n  input a: f32[200, 160]\n  input b: f32[160, 150]\n  output c = a @ b\n  output d = a @ transpose(a)\n}';
      const r = new Rng(4);
      const ins = { a: normal(r, [200, 160]), b: normal(r, [160, 150]) };
      const native = compileOk(src).model(undefined, { backend: 'native' });
      const got = native.forward(ins),
        want = compileOk(src).model(undefined, { backend: 'js' }).forward(ins);
      expect(native.run(native.ir.fn, ins).native!.source).toMatch(/mm_rows/);
      for (const k of ['c', 'd']) expect(relDiff(want[k]!.data, got[k]!.data), k).toBeLessThan(1e-5);
    } finally {
      setNativeThreads(undefined);
    }
  });

  // examples whose features the models above lack: a 200-step scan through a chaotic simulation with
  // sampled actions (a float32 rounding difference would flip a sample and change the loss by 10⁻¹),
  // an embedding with a recurrent net, a VAE's reparameterized sampling
  test.each(['reinforce.dlm', 'sentiment_rnn.dlm', 'vae.dlm'])(
    'example %s: loss and gradients (training mode) equal the JS backend',
    (file) => {
      const src = readFileSync(`examples/${file}`, 'utf8');
      const [js, native] = (['js', 'native'] as const).map((backend) => compileOk(src, `examples/${file}`).model(undefined, { backend }));
      const ins = randomInputs(js!, new Rng(1), {});
      const a = js!.valueAndGrad(ins, { training: true }),
        b = native!.valueAndGrad(ins, { training: true });
      expect(Number.isFinite(a.loss)).toBe(true);
      expect(relDiff([a.loss], [b.loss])).toBeLessThan(1e-5);
      for (const k of Object.keys(a.grads)) expect(relDiff(a.grads[k]!, b.grads[k]!), k).toBeLessThan(1e-4);
    },
    60_000,
  );

  test('dlm run --backend native prints what --backend wasm prints, to float32 rounding', async () => {
    const args = ['run', 'examples/xor.dlm', '--input', 'x=examples/data/xor_x.json'];
    const [a, b] = [await runCli(...args, '--backend', 'wasm'), await runCli(...args, '--backend', 'native')];
    expect([a.code, b.code]).toEqual([0, 0]);
    const values = (t: string) => (JSON.stringify(JSON.parse(t)).match(/-?\d+(\.\d+)?(e[+-]?\d+)?/g) ?? []).map(Number);
    expect(values(b.stdout).length).toBeGreaterThan(0);
    expect(relDiff(values(a.stdout), values(b.stdout))).toBeLessThan(1e-5);
  });

  test('names from the .dlm file never reach the C source', () => {
    const src = `import nn
model M {
  input main: f32[B, 3]
  target printf: i32[B]
  layer exit = nn.Dense(3, 2)
  param __proto__: f32[2] = zeros
  output system = exit(main) + __proto__
  loss nn.cross_entropy(system, printf)
  optimizer sgd(lr = 0.1)
}`;
    const m = compileOk(src).model(undefined, { backend: 'native' });
    const spec = new Trainer(m).compile({ main: { data: new Float32Array(6), shape: [2, 3] }, printf: { data: new Int32Array(2), shape: [2] } })[0]!;
    const code = spec.native!.source.replace(/\/\*.*?\*\//gs, '');
    for (const name of ['main', 'printf', 'exit', '__proto__', 'system']) expect(code).not.toMatch(new RegExp(`\\b${name}\\b`));
  });
});

test('without a C compiler, --backend native is E0900 and auto falls back to wasm, saying so once', () => {
  const cc = process.env['CC'];
  const notes: string[] = [];
  process.env['CC'] = '/nonexistent/dlm-test-cc';
  setBackendNotes((t) => notes.push(t));
  reprobeNative();
  try {
    const src = 'model M {\n  input x: f32[B, 2]\n  param w: f32[2] = ones\n  output y = x * w\n}';
    const x = { x: { data: Float32Array.from([1, 2, 3, 4]), shape: [2, 2] } };
    let err: unknown;
    try {
      compileOk(src).model(undefined, { backend: 'native' }).forward(x);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RunError);
    expect((err as RunError).diagnostics[0]!.code).toBe('E0900');
    expect((err as RunError).diagnostics[0]!.message).toMatch(/no C compiler/);
    const m = compileOk(src).model(undefined, { backend: 'auto' });
    expect(Array.from(m.forward(x)['y']!.data)).toEqual([1, 2, 3, 4]);
    m.forward({ x: { data: new Float32Array(6), shape: [3, 2] } });
    expect(notes).toEqual([expect.stringMatching(/backend auto: wasm, since no C compiler/)]);
  } finally {
    if (cc === undefined) delete process.env['CC'];
    else process.env['CC'] = cc;
    setBackendNotes((t) => console.warn(t));
    reprobeNative();
  }
});

test('dlm compile --emit c prints the C step without needing a compiler; a bad --backend is a usage error', async () => {
  const c = await runCli('compile', 'examples/xor.dlm', '--emit', 'c', '--train', '--dim', 'N=4');
  expect(c.code).toBe(0);
  expect(c.stdout).toMatch(/^int dlm_run\(int threads, elem \*arena, elem \*in0/m);
  const bad = await runCli('run', 'examples/xor.dlm', '--backend', 'gpu');
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/--backend must be one of native, wasm, js, auto, got 'gpu'/);
});
