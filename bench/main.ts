// `npm run bench`: dlm side by side with TensorFlow.js (cpu, wasm) and hand-written plain JS in one
// process, on the same seeded weights. Medians of 3 interleaved passes; table on stdout, JSON in
// bench/results.json. Targets from the issues are printed as PASS/MISS. `npm run bench -- --only backends`
// runs only the backends section (bench/backends.ts: js, wasm and native beside PyTorch), `--only native`
// that section for the native backend alone, `--only scaling` the scaling curves (bench/scaling.ts; the flags: bench/flags.ts).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { writeAtomic } from '../compiler/cli/io.js';
import { Rng } from '../runtime/random.js';
import { compiledRunner, forwardProgram, MATMUL_SOURCE, MLP_SOURCE, mlpModel, SMALL_SOURCE, trainStep } from './dlm.js';
import { Trainer } from '../compiler/api/trainer.js';
import { optimizerReport, printOptimizerReport, type ConfigRow, type Workload } from './optimizer.js';
import { compileOrThrow } from '../compiler/index.js';
import { tf, tfLenet, tfMatmul, tfMlp, useBackend, type MlpWeights } from './peers.js';
import { matmul, mlpForward } from './plainjs.js';
import { jaxTrainStep } from './jaxjs.js';
import { convnetLenetStep } from './convnetjs.js';
import { median, pass } from './timing.js';
import { backendsReport } from './backendsReport.js';
import { BENCH_USAGE, benchFlags } from './flags.js';
import { scalingReport } from './scaling.js';
import { printRematReport, rematReport, rematTarget, REMAT_TARGET_NAME, type RematRow } from './remat.js';
import { BLOCK, BLOCK_SOURCE, LSTM, LSTM_SOURCE, dlmSequenceStep, sequenceBatch, tfBlockStep, tfLstmStep } from './sequence.js';

type Sys = 'dlm' | 'tfjs-cpu' | 'tfjs-wasm' | 'jax-js' | 'convnetjs' | 'plain-js';
interface Row {
  workload: string;
  unit: string;
  values: Partial<Record<Sys, number>>;
  note?: string;
}
const rows: Row[] = [];
const optimizerRows: { workload: string; rows: ConfigRow[] }[] = [];
let coldCompileMs = NaN;
let rematRows: RematRow[] = [];
const PASSES = 3,
  MIN = 0.3;

/** Interleaved passes; tfjs systems switch backend before their pass. Returns seconds per call. */
const measure = async (make: Partial<Record<Sys, () => () => void>>): Promise<Partial<Record<Sys, number>>> => {
  const runs: Partial<Record<Sys, () => void>> = {};
  for (const s of Object.keys(make) as Sys[]) {
    if (s.startsWith('tfjs')) await useBackend(s === 'tfjs-cpu' ? 'cpu' : 'wasm');
    runs[s] = make[s]!();
    pass(runs[s]!, 0.05);
  }
  const times: Partial<Record<Sys, number[]>> = {};
  for (let p = 0; p < PASSES; p++) {
    for (const s of Object.keys(runs) as Sys[]) {
      if (s.startsWith('tfjs')) await useBackend(s === 'tfjs-cpu' ? 'cpu' : 'wasm');
      times[s] ??= [];
      times[s].push(pass(runs[s]!, MIN));
    }
  }
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v!)]));
};

const rand = (n: number, seed: number) => {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.normal());
};

const main = async () => {
  if (only?.section === 'scaling') {
    scalingReport(only.opts);
    return;
  }
  if (only) {
    const b = await backendsReport(only.opts);
    writeAtomic(fileURLToPath(new URL('../bench/results-backends.json', import.meta.url)), JSON.stringify({ date: new Date().toISOString(), ...b }, null, 2));
    return;
  }
  // The very first compile of a process pays for loading the grammar and warming up the compiler itself.
  const c0 = performance.now();
  new Trainer(compileOrThrow(SMALL_SOURCE).model('Small', { seed: 0 })).compile({
    x: { data: new Float32Array(32 * 784), shape: [32, 784] },
    y: { data: new Int32Array(32), shape: [32] },
  });
  coldCompileMs = performance.now() - c0;

  const model = mlpModel();
  const w: MlpWeights = {
    W: ['l1.W', 'l2.W', 'l3.W'].map((k) => model.params[k]!),
    b: ['l1.b', 'l2.b', 'l3.b'].map((k) => model.params[k]!),
    sizes: [784, 128, 64, 10],
  };
  const plainLayers = w.W.map((W, i) => ({ W, b: w.b[i]!, k: w.sizes[i]!, n: w.sizes[i + 1]! }));
  const perBackend = new Map<string, ReturnType<typeof tfMlp>>();
  const tfFor = async (s: Sys) => {
    const k = s;
    if (!perBackend.has(k)) {
      await useBackend(s === 'tfjs-cpu' ? 'cpu' : 'wasm');
      perBackend.set(k, tfMlp(w));
    }
    return perBackend.get(k)!;
  };
  await tfFor('tfjs-cpu');
  await tfFor('tfjs-wasm');

  // 1–2. inference
  for (const B of [256, 1]) {
    const x = rand(B * 784, 1);
    const dlm = compiledRunner(model, forwardProgram(model), { x: { data: x, shape: [B, 784] } });
    const plain = mlpForward(plainLayers, B);
    const xs: Record<string, tf.Tensor2D> = {};
    for (const s of ['tfjs-cpu', 'tfjs-wasm'] as const) {
      await useBackend(s === 'tfjs-cpu' ? 'cpu' : 'wasm');
      xs[s] = tf.tensor2d(x, [B, 784]);
    }
    dlm.run();
    await useBackend('cpu');
    const ref = (await tfFor('tfjs-cpu')).logitsOf(xs['tfjs-cpu']!);
    let diff = 0;
    ref.forEach((v, i) => {
      diff = Math.max(diff, Math.abs(v - dlm.outputs['logits']![i]!));
    });
    const t = await measure({
      dlm: () => dlm.run,
      'plain-js': () => () => plain(x),
      'tfjs-cpu': () => perBackend.get('tfjs-cpu')!.forward(xs['tfjs-cpu']!),
      'tfjs-wasm': () => perBackend.get('tfjs-wasm')!.forward(xs['tfjs-wasm']!),
    });
    rows.push(
      B === 1
        ? {
            workload: 'MLP 784-128-64-10 inference, batch 1',
            unit: 'µs (lower is better)',
            values: map(t, (s) => s * 1e6),
            note: `max |dlm − tfjs| = ${diff.toExponential(1)}; compile ${dlm.compileMs.toFixed(1)} ms`,
          }
        : {
            workload: 'MLP 784-128-64-10 inference, batch 256',
            unit: 'samples/s',
            values: map(t, (s) => B / s),
            note: `max |dlm − tfjs| = ${diff.toExponential(1)}; ${dlm.kernels} kernels, arena ${(dlm.arenaBytes / 1024).toFixed(0)} KiB`,
          },
    );
  }

  // 3. matmul
  const mm = compileOrThrow(MATMUL_SOURCE).model('MM');
  for (const n of [128, 256, 512]) {
    const a = rand(n * n, 2),
      b = rand(n * n, 3),
      c = new Float32Array(n * n);
    const dlm = compiledRunner(mm, mm.ir.fn, { a: { data: a, shape: [n, n] }, b: { data: b, shape: [n, n] } });
    const tfs: Record<string, ReturnType<typeof tfMatmul>> = {};
    for (const s of ['tfjs-cpu', 'tfjs-wasm'] as const) {
      await useBackend(s === 'tfjs-cpu' ? 'cpu' : 'wasm');
      tfs[s] = tfMatmul(a, b, n);
    }
    const t = await measure({
      dlm: () => dlm.run,
      'plain-js': () => () => matmul(a, b, c, n, n, n),
      'tfjs-cpu': () => tfs['tfjs-cpu']!.run,
      'tfjs-wasm': () => tfs['tfjs-wasm']!.run,
    });
    rows.push({ workload: `matmul ${n}×${n}`, unit: 'GFLOP/s', values: map(t, (s) => (2 * n ** 3) / s / 1e9) });
  }

  // 4–5. gradients and training at batch 64
  const B = 64;
  const x = rand(B * 784, 4);
  const labels = Int32Array.from({ length: B }, (_, i) => i % 10);
  const onehot = Float32Array.from({ length: B * 10 }, (_, i) => (i % 10 === labels[Math.floor(i / 10)] ? 1 : 0));
  const batch = { x: { data: x, shape: [B, 784] }, y: { data: labels, shape: [B] } };
  const fwd = compiledRunner(model, forwardProgram(model), { x: batch.x });
  const grad = compiledRunner(model, model.gradProgram(), batch);
  const tx: Record<string, [tf.Tensor2D, tf.Tensor2D]> = {};
  for (const s of ['tfjs-cpu', 'tfjs-wasm'] as const) {
    await useBackend(s === 'tfjs-cpu' ? 'cpu' : 'wasm');
    tx[s] = [tf.tensor2d(x, [B, 784]), tf.tensor2d(onehot, [B, 10])];
  }
  const g = await measure({
    dlm: () => grad.run,
    'tfjs-cpu': () => perBackend.get('tfjs-cpu')!.grads(...tx['tfjs-cpu']!),
    'tfjs-wasm': () => perBackend.get('tfjs-wasm')!.grads(...tx['tfjs-wasm']!),
  });
  const f = await measure({ dlm: () => fwd.run });
  rows.push({
    workload: 'MLP forward+backward (all gradients), batch 64',
    unit: 'samples/s',
    values: map(g, (s) => B / s),
    note: `dlm fwd+bwd / fwd = ${(g.dlm! / f.dlm!).toFixed(2)} (theory ≤ 3)`,
  });
  const jaxBig = await jaxTrainStep(w, x, onehot, B, 0.01);
  const train = await measure({
    dlm: () => trainStep(mlpModel(), batch, 0.01),
    'jax-js': () => jaxBig,
    'tfjs-cpu': () => perBackend.get('tfjs-cpu')!.train(...tx['tfjs-cpu']!, 0.01),
    'tfjs-wasm': () => perBackend.get('tfjs-wasm')!.train(...tx['tfjs-wasm']!, 0.01),
  });
  rows.push({ workload: 'MLP training step (SGD), batch 64', unit: 'samples/s', values: map(train, (s) => B / s) });

  // 6. the 784-16-16-10 sigmoid net, training at batch 32: per-op overhead dominates
  const small = compileOrThrow(SMALL_SOURCE).model('Small', { seed: 0 });
  const ws: MlpWeights = {
    W: ['l1.W', 'l2.W', 'l3.W'].map((k) => small.params[k]!),
    b: ['l1.b', 'l2.b', 'l3.b'].map((k) => small.params[k]!),
    sizes: [784, 16, 16, 10],
    act: 'sigmoid',
  };
  const B2 = 32;
  const x2 = rand(B2 * 784, 5),
    y2 = Int32Array.from({ length: B2 }, (_, i) => i % 10);
  const hot2 = Float32Array.from({ length: B2 * 10 }, (_, i) => (i % 10 === y2[Math.floor(i / 10)] ? 1 : 0));
  const sm: Record<string, { m: ReturnType<typeof tfMlp>; x: tf.Tensor2D; y: tf.Tensor2D }> = {};
  for (const s of ['tfjs-cpu', 'tfjs-wasm'] as const) {
    await useBackend(s === 'tfjs-cpu' ? 'cpu' : 'wasm');
    sm[s] = { m: tfMlp(ws), x: tf.tensor2d(x2, [B2, 784]), y: tf.tensor2d(hot2, [B2, 10]) };
  }
  const jaxSmall = await jaxTrainStep(ws, x2, hot2, B2, 0.1);
  const trainSmall = await measure({
    'jax-js': () => jaxSmall,
    dlm: () => trainStep(compileOrThrow(SMALL_SOURCE).model('Small', { seed: 0 }), { x: { data: x2, shape: [B2, 784] }, y: { data: y2, shape: [B2] } }, 0.1),
    'tfjs-cpu': () => sm['tfjs-cpu']!.m.train(sm['tfjs-cpu']!.x, sm['tfjs-cpu']!.y, 0.1),
    'tfjs-wasm': () => sm['tfjs-wasm']!.m.train(sm['tfjs-wasm']!.x, sm['tfjs-wasm']!.y, 0.1),
  });
  rows.push({ workload: 'MLP 784-16-16-10 sigmoid training step, batch 32', unit: 'samples/s', values: map(trainSmall, (s) => B2 / s) });

  // 7. LeNet-5 (tfjs-wasm has no Conv2DBackpropFilter kernel, so it cannot train it)
  // DLM_CONV=direct measures the direct loop nests (the bench's edge reads it; the library does not)
  const conv = process.env['DLM_CONV'] === 'direct' ? { convLowering: 'direct' as const } : {};
  const lenet = compileOrThrow(readFileSync(new URL('../examples/lenet5.dlm', import.meta.url), 'utf8'), conv).model('LeNet5', { seed: 0 });
  const xl = rand(32 * 784, 6);
  const lb = { x: { data: xl, shape: [32, 1, 28, 28] }, y: { data: y2, shape: [32] } };
  const tl: Record<string, { m: ReturnType<typeof tfLenet>; x: tf.Tensor4D; y: tf.Tensor2D }> = {};
  for (const s of ['tfjs-cpu', 'tfjs-wasm'] as const) {
    await useBackend(s === 'tfjs-cpu' ? 'cpu' : 'wasm');
    tl[s] = { m: tfLenet(lenet.params), x: tf.tensor4d(xl, [32, 28, 28, 1]), y: tf.tensor2d(hot2, [32, 10]) };
  }
  const lenetFwd = compiledRunner(lenet, forwardProgram(lenet), { x: lb.x });
  const lt = await measure({
    dlm: () => trainStep(lenet, lb, 0.01),
    'tfjs-cpu': () => tl['tfjs-cpu']!.m.train(tl['tfjs-cpu']!.x, tl['tfjs-cpu']!.y, 0.01),
    convnetjs: () => convnetLenetStep(xl, y2, 32),
  });
  rows.push({
    workload: 'LeNet-5 training step (SGD), batch 32',
    unit: 'samples/s',
    values: map(lt, (s) => 32 / s),
    note: 'tfjs-wasm: cannot train (no Conv2DBackpropFilter kernel)',
  });
  const li = await measure({
    dlm: () => lenetFwd.run,
    'tfjs-cpu': () => tl['tfjs-cpu']!.m.forward(tl['tfjs-cpu']!.x),
    'tfjs-wasm': () => tl['tfjs-wasm']!.m.forward(tl['tfjs-wasm']!.x),
  });
  rows.push({ workload: 'LeNet-5 inference, batch 32', unit: 'samples/s', values: map(li, (s) => 32 / s) });

  // 8. sequences: LSTM through time and a transformer encoder block
  const lstm = dlmSequenceStep(LSTM_SOURCE, 'LstmBench', LSTM, true);
  const tfL: Partial<Record<Sys, () => void>> = {};
  for (const s of ['tfjs-cpu', 'tfjs-wasm'] as const) {
    await useBackend(s === 'tfjs-cpu' ? 'cpu' : 'wasm');
    tfL[s] = tfLstmStep();
  }
  const ls = await measure({ dlm: () => lstm.run, 'tfjs-cpu': () => tfL['tfjs-cpu']!, 'tfjs-wasm': () => tfL['tfjs-wasm']! });
  rows.push({
    workload: `LSTM training (V ${LSTM.V}, H ${LSTM.H}, T ${LSTM.T}, B ${LSTM.B}), SGD`,
    unit: 'tokens/s',
    values: map(ls, (s) => (LSTM.T * LSTM.B) / s),
    note: `dlm compile ${lstm.compileMs.toFixed(0)} ms`,
  });
  const block = dlmSequenceStep(BLOCK_SOURCE, 'BlockBench', BLOCK, false, BLOCK.d);
  const tfB: Partial<Record<Sys, () => void>> = {};
  for (const s of ['tfjs-cpu', 'tfjs-wasm'] as const) {
    await useBackend(s === 'tfjs-cpu' ? 'cpu' : 'wasm');
    tfB[s] = tfBlockStep();
  }
  const bs = await measure({ dlm: () => block.run, 'tfjs-cpu': () => tfB['tfjs-cpu']!, 'tfjs-wasm': () => tfB['tfjs-wasm']! });
  rows.push({
    workload: `transformer block (d ${BLOCK.d}, ${BLOCK.heads} heads, T ${BLOCK.T}, B ${BLOCK.B}) training`,
    unit: 'tokens/s',
    values: map(bs, (s) => (BLOCK.T * BLOCK.B) / s),
    note: `dlm compile ${block.compileMs.toFixed(0)} ms (target ≤ 250 ms)`,
  });
  // rematerialization: char_lstm at T = 512 with and without scan(…, checkpoint = k)
  rematRows = rematReport();
  printRematReport(rematRows);
  // 9. what each optimization pass is worth on every training workload: compile time, memory, speed
  // (last, so the many variants it compiles cannot disturb the rows above)
  const workloads: Workload[] = [
    {
      name: 'MNIST MLP 784-16-16-10, batch 32',
      source: SMALL_SOURCE,
      model: 'Small',
      batch: { x: { data: x2, shape: [B2, 784] }, y: { data: y2, shape: [B2] } },
      items: B2,
      unit: 'samples/s',
    },
    { name: 'MLP 784-128-64-10, batch 64', source: MLP_SOURCE, model: 'MLP', batch, items: B, unit: 'samples/s' },
    {
      name: 'LeNet-5, batch 32',
      source: readFileSync(new URL('../examples/lenet5.dlm', import.meta.url), 'utf8'),
      model: 'LeNet5',
      batch: lb,
      items: 32,
      unit: 'samples/s',
    },
    {
      name: `LSTM V ${LSTM.V} H ${LSTM.H} T ${LSTM.T} B ${LSTM.B}`,
      source: LSTM_SOURCE,
      model: 'LstmBench',
      batch: sequenceBatch(LSTM, true),
      items: LSTM.T * LSTM.B,
      unit: 'tokens/s',
    },
    {
      name: `transformer block d ${BLOCK.d}, ${BLOCK.heads} heads, T ${BLOCK.T}, B ${BLOCK.B}`,
      source: BLOCK_SOURCE,
      model: 'BlockBench',
      batch: sequenceBatch(BLOCK, false, BLOCK.d),
      items: BLOCK.T * BLOCK.B,
      unit: 'tokens/s',
    },
  ];
  for (const w of workloads) {
    const r = optimizerReport(w);
    printOptimizerReport(w, r);
    optimizerRows.push({ workload: w.name, rows: r });
  }

  report(g.dlm! / f.dlm!);
  // 10. every row on each backend beside PyTorch (issue 22), tfjs-wasm measured again beside them
  const b = await backendsReport();
  const path = fileURLToPath(new URL('../bench/results.json', import.meta.url));
  writeAtomic(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), backends: b }, null, 2));
  // 11. the scaling curves against batch size and width (their own JSON and SVG files)
  scalingReport();
};

const flags = benchFlags(process.argv.slice(2));
if ('error' in flags) {
  console.error(`${flags.error}\n${BENCH_USAGE}`);
  process.exit(2);
}
const only = flags.section === 'all' ? undefined : flags;

const map = (t: Partial<Record<Sys, number>>, f: (s: number) => number): Partial<Record<Sys, number>> =>
  Object.fromEntries(Object.entries(t).map(([k, v]) => [k, f(v!)]));

const fmt = (v: number | undefined) => (v === undefined ? '—' : v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toPrecision(3));

const report = (fwdBwdRatio: number) => {
  const systems: Sys[] = ['dlm', 'tfjs-cpu', 'tfjs-wasm', 'jax-js', 'convnetjs', 'plain-js'];
  const lowerBetter = (r: Row) => r.unit.startsWith('µs');
  const ratio = (r: Row, peer: Sys) => {
    const a = r.values.dlm,
      b = r.values[peer];
    if (a === undefined || b === undefined) return '—';
    return `${(lowerBetter(r) ? b / a : a / b).toFixed(2)}×`;
  };
  console.log(`\n${'workload'.padEnd(50)} ${'unit'.padEnd(22)} ${systems.map((s) => s.padStart(11)).join(' ')}  dlm/cpu  dlm/wasm  dlm/jax`);
  for (const r of rows) {
    console.log(
      `${r.workload.padEnd(50)} ${r.unit.padEnd(22)} ${systems.map((s) => fmt(r.values[s]).padStart(11)).join(' ')}` +
        `  ${ratio(r, 'tfjs-cpu').padStart(7)}  ${ratio(r, 'tfjs-wasm').padStart(8)}  ${ratio(r, 'jax-js').padStart(7)}`,
    );
    if (r.note) console.log(`${''.padEnd(52)}${r.note}`);
  }
  const get = (w: string, s: Sys) => rows.find((r) => r.workload.startsWith(w))?.values[s] ?? NaN;
  const compileOf = (w: string) => optimizerRows.find((o) => o.workload.startsWith(w))?.rows[0]?.compileMs ?? Infinity;
  const peakRatio = (r: ConfigRow) => r.stats.peakBytes / (r.stats.minimumBytes ?? NaN);
  console.log(`\ncompile time of the first training step in a fresh process (grammar loading, compiler warm-up): ${coldCompileMs.toFixed(0)} ms`);
  const targets = [
    [
      'inference batch 256 ≥ 3× tfjs-cpu',
      get('MLP 784-128-64-10 inference, batch 256', 'dlm') >= 3 * get('MLP 784-128-64-10 inference, batch 256', 'tfjs-cpu'),
    ],
    ['batch-1 latency ≤ 0.8× tfjs-wasm', get('MLP 784-128-64-10 inference, batch 1', 'dlm') <= 0.8 * get('MLP 784-128-64-10 inference, batch 1', 'tfjs-wasm')],
    ['matmul 256 ≥ 2.5 GFLOP/s', get('matmul 256', 'dlm') >= 2.5],
    ['forward+backward ≤ 3× forward', fwdBwdRatio <= 3],
    ['training 784-128-64-10 ≥ 1.5× tfjs-wasm', get('MLP training step (SGD), batch 64', 'dlm') >= 1.5 * get('MLP training step (SGD), batch 64', 'tfjs-wasm')],
    ['training 784-16-16-10 ≥ 4× tfjs-wasm', get('MLP 784-16-16-10', 'dlm') >= 4 * get('MLP 784-16-16-10', 'tfjs-wasm')],
    ['MNIST training step compiles in ≤ 50 ms', compileOf('MNIST') <= 50],
    ['LSTM training ≥ 2× tfjs-wasm', get('LSTM training', 'dlm') >= 2 * get('LSTM training', 'tfjs-wasm')],
    ['transformer block compiles in ≤ 250 ms', compileOf('transformer') <= 250],
    ...optimizerRows.map((o) => [`${o.workload}: peak memory ≤ 1.25× the minimum`, peakRatio(o.rows[0]!) <= 1.25] as const),
    [REMAT_TARGET_NAME, rematTarget(rematRows).ok],
    [
      'LeNet-5 training ≥ 1,000 samples/s and ≥ 5× the best peer',
      get('LeNet-5 training', 'dlm') >= Math.max(1000, 5 * get('LeNet-5 training', 'convnetjs'), 5 * get('LeNet-5 training', 'tfjs-cpu')),
    ],
  ] as const;
  console.log('\ntargets:');
  for (const [name, ok] of targets) console.log(`  ${ok ? 'PASS' : 'MISS'}  ${name}`);
  const path = fileURLToPath(new URL('../bench/results.json', import.meta.url));
  writeAtomic(
    path,
    JSON.stringify(
      { date: new Date().toISOString(), rows, coldCompileMs, remat: rematRows, optimizer: optimizerRows, targets: targets.map(([name, ok]) => ({ name, ok })) },
      null,
      2,
    ),
  );
  console.log(`\nJSON: ${path}`);
};

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
