// The backends section of `npm run bench` (alone: `npm run bench -- --only backends`): the issue-22
// workloads on every dlm backend (js, wasm, native) beside PyTorch on the CPU at 1 and 2 threads
// (bench/torch_peer.py, same shapes and seeds), ratios against PyTorch's better figure, the native
// compile time cold and cached, and the targets as PASS/MISS.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileOrThrow } from '../compiler/index.js';
import { Trainer } from '../compiler/api/trainer.js';
import { nativeUnavailable, type Backend } from '../compiler/native/backend.js';
import { Rng } from '../runtime/random.js';
import type { Tensor } from '../runtime/tensor.js';
import { compiledRunner, forwardProgram, MATMUL_SOURCE, MLP_SOURCE, SMALL_SOURCE, trainStep } from './dlm.js';
import { BLOCK, BLOCK_SOURCE, LSTM, LSTM_SOURCE, dlmSequenceStep } from './sequence.js';
import { median, pass } from './timing.js';

const PY = '/usr/bin/python3';
const SEED = 7;

interface Workload {
  readonly key: string;
  readonly name: string;
  readonly unit: string;
  /** Items per call (samples, tokens, FLOPs / 1e9), or 0 for a latency row (µs per call). */
  readonly items: number;
  readonly training: boolean;
  readonly make: (backend: Backend) => () => void;
}

const rand = (n: number, seed: number) => { const r = new Rng(seed); return Float32Array.from({ length: n }, () => r.normal()); };
const labels = (n: number, k: number) => Int32Array.from({ length: n }, (_, i) => i % k);
const lenetSource = () => readFileSync(new URL('../examples/lenet5.dlm', import.meta.url), 'utf8');

const model = (src: string, name: string, backend: Backend) => compileOrThrow(src).model(name, { seed: 0, backend });
const batchOf = (x: Float32Array, shape: number[], B: number): Record<string, Tensor> => ({ x: { data: x, shape }, y: { data: labels(B, 10), shape: [B] } });
/** A zero-allocation forward runner of a model on the given inputs. */
const forward = (src: string, name: string, b: Backend, inputs: Record<string, Tensor>, whole = false) => {
  const m = model(src, name, b);
  return compiledRunner(m, whole ? m.ir.fn : forwardProgram(m), inputs).run;
};

export const WORKLOADS: readonly Workload[] = [
  { key: 'mlp_train', name: 'MLP 784-128-64-10 training (SGD), batch 64', unit: 'samples/s', items: 64, training: true,
    make: (b) => trainStep(model(MLP_SOURCE, 'MLP', b), batchOf(rand(64 * 784, 4), [64, 784], 64), 0.01) },
  { key: 'small_train', name: 'MLP 784-16-16-10 sigmoid training, batch 32', unit: 'samples/s', items: 32, training: true,
    make: (b) => trainStep(model(SMALL_SOURCE, 'Small', b), batchOf(rand(32 * 784, 5), [32, 784], 32), 0.1) },
  { key: 'lenet_train', name: 'LeNet-5 training (SGD), batch 32', unit: 'samples/s', items: 32, training: true,
    make: (b) => trainStep(model(lenetSource(), 'LeNet5', b), batchOf(rand(32 * 784, 6), [32, 1, 28, 28], 32), 0.01) },
  { key: 'lenet_infer', name: 'LeNet-5 inference, batch 32', unit: 'samples/s', items: 32, training: false,
    make: (b) => forward(lenetSource(), 'LeNet5', b, { x: { data: rand(32 * 784, 6), shape: [32, 1, 28, 28] } }) },
  { key: 'lstm_train', name: `LSTM V ${LSTM.V} H ${LSTM.H} T ${LSTM.T} B ${LSTM.B} training`, unit: 'tokens/s', items: LSTM.T * LSTM.B, training: true,
    make: (b) => dlmSequenceStep(LSTM_SOURCE, 'LstmBench', LSTM, true, undefined, b).run },
  { key: 'block_train', name: `transformer block d ${BLOCK.d}, ${BLOCK.heads} heads, T ${BLOCK.T}, B ${BLOCK.B} training`, unit: 'tokens/s',
    items: BLOCK.T * BLOCK.B, training: true, make: (b) => dlmSequenceStep(BLOCK_SOURCE, 'BlockBench', BLOCK, false, BLOCK.d, b).run },
  { key: 'mlp_infer_256', name: 'MLP 784-128-64-10 inference, batch 256', unit: 'samples/s', items: 256, training: false,
    make: (b) => forward(MLP_SOURCE, 'MLP', b, { x: { data: rand(256 * 784, 1), shape: [256, 784] } }) },
  { key: 'mlp_infer_1', name: 'MLP 784-128-64-10 inference, batch 1', unit: 'µs (lower is better)', items: 0, training: false,
    make: (b) => forward(MLP_SOURCE, 'MLP', b, { x: { data: rand(784, 1), shape: [1, 784] } }) },
  { key: 'matmul_256', name: 'matmul 256×256', unit: 'GFLOP/s', items: (2 * 256 ** 3) / 1e9, training: false,
    make: (b) => forward(MATMUL_SOURCE, 'MM', b, { a: { data: rand(65536, 2), shape: [256, 256] }, b: { data: rand(65536, 3), shape: [256, 256] } }, true) },
];

type Torch = { version: string; rows: Record<string, Record<string, number>> } | { skipped: string };

/** PyTorch's seconds per call at 1 and 2 threads, or why it was skipped. */
export const torchPeer = (): Torch => {
  const probe = spawnSync(PY, ['-c', 'import torch'], { encoding: 'utf8' });
  const why = probe.stderr ? `: ${probe.stderr.trim().split('\n').pop()}` : '';
  if (probe.status !== 0) return { skipped: `${PY} -c 'import torch' failed${why} (apt-get install python3-torch)` };
  // OpenBLAS tuning variables are unset for this one command only (the machine's defaults elsewhere).
  // One process per thread count: OpenBLAS keeps its own thread pool whatever torch.set_num_threads
  // says, so its size is set through the environment too.
  const script = fileURLToPath(new URL('../bench/torch_peer.py', import.meta.url));
  const rows: Record<string, Record<string, number>> = {};
  let version = '';
  for (const threads of [1, 2]) {
    const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) };
    delete env['OPENBLAS_CORETYPE'];
    delete env['OPENBLAS_L2_SIZE'];
    const cfg = { seed: SEED, threads: [threads], lstm: LSTM, block: BLOCK };
    const r = spawnSync(PY, [script, JSON.stringify(cfg)], { encoding: 'utf8', env, maxBuffer: 1 << 24, timeout: 600_000 });
    if (r.status !== 0) return { skipped: `bench/torch_peer.py failed: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-3).join(' ')}` };
    const out = JSON.parse(r.stdout) as { version: string; rows: Record<string, Record<string, number>> };
    version = out.version;
    for (const [k, v] of Object.entries(out.rows)) rows[k] = { ...rows[k], ...v };
  }
  return { version, rows };
};

/** Native compile of the MNIST (784-16-16-10) training step: cold (empty cache, kernels too), cold with the kernels cached, cached. */
const nativeCompileTimes = (): { cold: number; coldModule: number; cached: number } => {
  const dir = mkdtempSync(join(tmpdir(), 'dlm-bench-cache-'));
  const saved = process.env['DLM_CACHE_DIR'];
  process.env['DLM_CACHE_DIR'] = dir;
  const once = (B: number) => {
    const t0 = performance.now();
    new Trainer(model(SMALL_SOURCE, 'Small', 'native')).compile(batchOf(new Float32Array(B * 784), [B, 784], B));
    return performance.now() - t0;
  };
  try {
    const cold = once(32), cached = median([once(32), once(32), once(32)]), coldModule = once(31);
    return { cold, coldModule, cached };
  } finally {
    if (saved === undefined) delete process.env['DLM_CACHE_DIR']; else process.env['DLM_CACHE_DIR'] = saved;
    rmSync(dir, { recursive: true, force: true });
  }
};

const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '—' : v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toPrecision(3));

export interface BackendReport {
  readonly rows: { key: string; name: string; unit: string; values: Record<string, number> }[];
  readonly compile?: { cold: number; coldModule: number; cached: number };
  readonly torch: Torch;
  readonly targets: { name: string; ok: boolean | undefined }[];
  /** One-minute load average at the start and the end of the section. */
  readonly load: readonly number[];
}

/** Runs the section; `tfjsWasm` gives tfjs-wasm's figures by workload key where the full bench measured them. */
export const backendsReport = (tfjsWasm: Record<string, number> = {}): BackendReport => {
  const why = nativeUnavailable();
  const backends: Backend[] = why ? ['js', 'wasm'] : ['js', 'wasm', 'native'];
  if (why) console.log(`native backend skipped: ${why}`);
  // a shared machine's load moves PyTorch's figures more than dlm's: print it beside the table
  const load0 = loadavg()[0]!;
  const torch = torchPeer();
  if ('skipped' in torch) console.log(`PyTorch skipped: ${torch.skipped}`);
  const rows: BackendReport['rows'] = [];
  for (const w of WORKLOADS) {
    const runs = backends.map((b) => { const f = w.make(b); pass(f, 0.05); return [b, f] as const; });
    const times: Record<string, number[]> = {};
    for (let p = 0; p < 3; p++) for (const [b, f] of runs) (times[b] ??= []).push(pass(f, 0.3));
    const value = (s: number) => (w.items === 0 ? s * 1e6 : w.items / s);
    const values: Record<string, number> = Object.fromEntries(Object.entries(times).map(([b, t]) => [b, value(median(t))]));
    if (!('skipped' in torch)) for (const th of ['1', '2']) { const s = torch.rows[w.key]?.[th]; if (s !== undefined) values[`torch-${th}`] = value(s); }
    if (tfjsWasm[w.key] !== undefined) values['tfjs-wasm'] = tfjsWasm[w.key]!;
    rows.push({ key: w.key, name: w.name, unit: w.unit, values });
  }
  const compile = why ? undefined : nativeCompileTimes();
  // the native matmul with its OpenMP build on two threads (DLM_NATIVE_THREADS=2; one thread is the default)
  if (!why) {
    const saved = process.env['DLM_NATIVE_THREADS'];
    process.env['DLM_NATIVE_THREADS'] = '2';
    try {
      const f = WORKLOADS.find((w) => w.key === 'matmul_256')!.make('native');
      pass(f, 0.05);
      const s = median([pass(f, 0.3), pass(f, 0.3), pass(f, 0.3)]);
      rows.find((r) => r.key === 'matmul_256')!.values['native-2t'] = (2 * 256 ** 3) / 1e9 / s;
    } finally {
      if (saved === undefined) delete process.env['DLM_NATIVE_THREADS']; else process.env['DLM_NATIVE_THREADS'] = saved;
    }
  }

  const cols = ['js', 'wasm', 'native', 'torch-1', 'torch-2', 'tfjs-wasm'];
  const lower = (unit: string) => unit.startsWith('µs');
  const best = (r: BackendReport['rows'][number]) => {
    const t = [r.values['torch-1'], r.values['torch-2']].filter((v): v is number => v !== undefined);
    return t.length ? (lower(r.unit) ? t.reduce((a, b) => Math.min(a, b)) : t.reduce((a, b) => Math.max(a, b))) : undefined;
  };
  const vs = (r: BackendReport['rows'][number], b: string, ref: number | undefined) => {
    const v = r.values[b];
    if (v === undefined || ref === undefined) return undefined;
    return lower(r.unit) ? ref / v : v / ref;
  };
  const peer = 'skipped' in torch ? '(skipped)' : torch.version;
  console.log(`\nbackends beside PyTorch ${peer} on the CPU (ratios: dlm backend / the better of PyTorch's 1- and 2-thread figures)`);
  console.log(`load average ${load0.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end, on ${availableParallelism()} cores`);
  const heads = ['js', 'wasm', 'native'].map((b) => `${b}/torch`.padStart(12)).join(' ');
  console.log(`${'workload'.padEnd(58)} ${'unit'.padEnd(20)} ${cols.map((c) => c.padStart(10)).join(' ')}  ${heads}`);
  for (const r of rows) {
    const ratios = ['js', 'wasm', 'native'].map((b) => {
      const x = vs(r, b, best(r));
      return (x === undefined ? '—' : `${x.toFixed(2)}×`).padStart(12);
    });
    console.log(`${r.name.padEnd(58)} ${r.unit.padEnd(20)} ${cols.map((c) => fmt(r.values[c]).padStart(10)).join(' ')}  ${ratios.join(' ')}`);
  }
  const mm2 = rows.find((r) => r.key === 'matmul_256')!.values['native-2t'];
  if (mm2 !== undefined) console.log(`native matmul 256×256 on two threads (DLM_NATIVE_THREADS=2): ${fmt(mm2)} GFLOP/s`);
  if (compile) console.log(`\nnative compile of the MNIST 784-16-16-10 training step: cold ${compile.cold.toFixed(0)} ms (empty cache, kernels too), `
    + `${compile.coldModule.toFixed(0)} ms (kernels cached), cached ${compile.cached.toFixed(1)} ms`);

  const row = (k: string) => rows.find((r) => r.key === k)!;
  const nat = (k: string, factor: number) => { const x = vs(row(k), 'native', best(row(k))); return x === undefined ? undefined : x >= factor; };
  const torch1 = (k: string) => row(k).values['torch-1'];
  /** a ≥ factor·b, or undefined when either was not measured */
  const atLeast = (a: number | undefined, factor: number, b: number | undefined) => (a === undefined || b === undefined ? undefined : a >= factor * b);
  const targets: BackendReport['targets'] = [
    ...WORKLOADS.filter((w) => w.training).map((w) => ({ name: `native ≥ 1× PyTorch: ${w.name}`, ok: nat(w.key, 1) })),
    { name: 'native ≥ 2× PyTorch: MLP 784-16-16-10 training', ok: nat('small_train', 2) },
    { name: 'native ≥ 2× PyTorch: batch-1 latency', ok: nat('mlp_infer_1', 2) },
    { name: 'native matmul 256 ≥ 0.8× PyTorch 1 thread', ok: atLeast(row('matmul_256').values['native'], 0.8, torch1('matmul_256')) },
    { name: 'native matmul 256 on two threads (DLM_NATIVE_THREADS=2) ≥ 1.5× PyTorch 1 thread', ok: atLeast(mm2, 1.5, torch1('matmul_256')) },
    ...WORKLOADS.map((w) => ({ name: `wasm ≥ 1× tfjs-wasm: ${w.name}`, ok: atLeast(vs(row(w.key), 'wasm', row(w.key).values['tfjs-wasm']), 1, 1) })),
    { name: 'first native compile of the MNIST training step ≤ 1.5 s', ok: compile ? compile.cold <= 1500 : undefined },
    { name: 'cached native compile ≤ 50 ms', ok: compile ? compile.cached <= 50 : undefined },
  ];
  console.log('\nbackend targets:');
  for (const t of targets) console.log(`  ${t.ok === undefined ? 'n/a ' : t.ok ? 'PASS' : 'MISS'}  ${t.name}`);
  return { rows, ...(compile ? { compile } : {}), torch, targets, load: [load0, loadavg()[0]!] };
};
