// The backends section of `npm run bench` (alone: `npm run bench -- --only backends`, or `--only native`): the issue-22
// workloads on every dlm backend (js, wasm, native) beside PyTorch on the CPU at 1 and 2 threads
// (bench/torch_peer.py, same shapes and seeds), ratios against PyTorch's better figure, the
// compile time of every backend cold and cached, and the targets as PASS/MISS.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileOrThrow } from '../compiler/index.js';
import { Trainer } from '../compiler/api/trainer.js';
import type { Backend } from '../compiler/native/backend.js';
import { Rng } from '../runtime/random.js';
import type { Tensor } from '../runtime/tensor.js';
import { MATMUL_SOURCE, MLP_SOURCE, SMALL_SOURCE, trainStep } from './dlm.js';
import { tf, tfLenet, tfMatmul, tfMlp, type MlpWeights } from './peers.js';
import { BLOCK, BLOCK_SOURCE, LSTM, LSTM_SOURCE, dlmSequenceStep, tfBlockStep, tfLstmStep } from './sequence.js';
import { median } from './timing.js';

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
  /** The same workload in tfjs-wasm (its backend already set), through its public API; absent where tfjs-wasm cannot run it. */
  readonly tfjs?: () => () => void;
}

const rand = (n: number, seed: number) => {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.normal());
};
const labels = (n: number, k: number) => Int32Array.from({ length: n }, (_, i) => i % k);
const lenetSource = () => readFileSync(new URL('../examples/lenet5.dlm', import.meta.url), 'utf8');

const model = (src: string, name: string, backend: Backend) => compileOrThrow(src).model(name, { seed: 0, backend });
const batchOf = (x: Float32Array, shape: number[], B: number): Record<string, Tensor> => ({ x: { data: x, shape }, y: { data: labels(B, 10), shape: [B] } });
/**
 * A model's forward pass through the public API, Model.forward: the inputs validated and copied in, the
 * outputs returned as fresh arrays (tfjs-wasm's rows likewise upload, run, download and dispose).
 */
const forward = (src: string, name: string, b: Backend, inputs: Record<string, Tensor>) => {
  const m = model(src, name, b);
  return () => {
    m.forward(inputs);
  };
};
/**
 * matmul 256 on the native backend: the product written into one output array (forward's `out`), as
 * PyTorch's peer runs torch.mm(a, b, out=c). Both measure the product, not a fresh 256 KiB array a call
 * (which costs Node ~0.1 ms, as much as the product). js and wasm keep fresh outputs, as tfjs's dataSync.
 */
const matmulForward = (b: Backend, inputs: Record<string, Tensor>) => {
  if (b !== 'native') return forward(MATMUL_SOURCE, 'MM', b, inputs);
  const m = model(MATMUL_SOURCE, 'MM', b);
  const out = { c: new Float32Array(256 * 256) };
  return () => {
    m.forward(inputs, { out });
  };
};
/** The same weights for tfjs (initialization does not depend on the backend). */
const weightsOf = (src: string, name: string) => model(src, name, 'js').params;
const mlpWeights = (src: string, name: string, sizes: number[], act?: 'sigmoid'): MlpWeights => {
  const p = weightsOf(src, name);
  return { W: ['l1.W', 'l2.W', 'l3.W'].map((k) => p[k]!), b: ['l1.b', 'l2.b', 'l3.b'].map((k) => p[k]!), sizes, ...(act ? { act } : {}) };
};
const oneHot = (y: Int32Array, k: number) => Float32Array.from({ length: y.length * k }, (_, i) => (i % k === y[Math.floor(i / k)] ? 1 : 0));
/** tfjs's training step on tensors made once (the upload of a batch is not timed; dlm's Trainer.step copies it in, ~1% of a step). */
const tfMlpTrain = (w: MlpWeights, x: Float32Array, B: number, lr: number) =>
  tfMlp(w).train(tf.tensor2d(x, [B, 784]), tf.tensor2d(oneHot(labels(B, 10), 10), [B, 10]), lr);

export const WORKLOADS: readonly Workload[] = [
  {
    key: 'mlp_train',
    name: 'MLP 784-128-64-10 training (SGD), batch 64',
    unit: 'samples/s',
    items: 64,
    training: true,
    make: (b) => trainStep(model(MLP_SOURCE, 'MLP', b), batchOf(rand(64 * 784, 4), [64, 784], 64), 0.01),
    tfjs: () => tfMlpTrain(mlpWeights(MLP_SOURCE, 'MLP', [784, 128, 64, 10]), rand(64 * 784, 4), 64, 0.01),
  },
  {
    key: 'small_train',
    name: 'MLP 784-16-16-10 sigmoid training, batch 32',
    unit: 'samples/s',
    items: 32,
    training: true,
    make: (b) => trainStep(model(SMALL_SOURCE, 'Small', b), batchOf(rand(32 * 784, 5), [32, 784], 32), 0.1),
    tfjs: () => tfMlpTrain(mlpWeights(SMALL_SOURCE, 'Small', [784, 16, 16, 10], 'sigmoid'), rand(32 * 784, 5), 32, 0.1),
  },
  {
    key: 'lenet_train',
    name: 'LeNet-5 training (SGD), batch 32',
    unit: 'samples/s',
    items: 32,
    training: true,
    make: (b) => trainStep(model(lenetSource(), 'LeNet5', b), batchOf(rand(32 * 784, 6), [32, 1, 28, 28], 32), 0.01),
  },
  {
    key: 'lenet_infer',
    name: 'LeNet-5 inference, batch 32',
    unit: 'samples/s',
    items: 32,
    training: false,
    make: (b) => forward(lenetSource(), 'LeNet5', b, { x: { data: rand(32 * 784, 6), shape: [32, 1, 28, 28] } }),
    // one channel: the NCHW batch is also NHWC, tfjs's layout
    tfjs: () => tfLenet(weightsOf(lenetSource(), 'LeNet5')).predictArray(rand(32 * 784, 6), 32),
  },
  {
    key: 'lstm_train',
    name: `LSTM V ${LSTM.V} H ${LSTM.H} T ${LSTM.T} B ${LSTM.B} training`,
    unit: 'tokens/s',
    items: LSTM.T * LSTM.B,
    training: true,
    make: (b) => dlmSequenceStep(LSTM_SOURCE, 'LstmBench', LSTM, true, undefined, b).run,
    tfjs: tfLstmStep,
  },
  {
    key: 'block_train',
    name: `transformer block d ${BLOCK.d}, ${BLOCK.heads} heads, T ${BLOCK.T}, B ${BLOCK.B} training`,
    unit: 'tokens/s',
    items: BLOCK.T * BLOCK.B,
    training: true,
    make: (b) => dlmSequenceStep(BLOCK_SOURCE, 'BlockBench', BLOCK, false, BLOCK.d, b).run,
    tfjs: tfBlockStep,
  },
  {
    key: 'mlp_infer_256',
    name: 'MLP 784-128-64-10 inference, batch 256',
    unit: 'samples/s',
    items: 256,
    training: false,
    make: (b) => forward(MLP_SOURCE, 'MLP', b, { x: { data: rand(256 * 784, 1), shape: [256, 784] } }),
    tfjs: () => tfMlp(mlpWeights(MLP_SOURCE, 'MLP', [784, 128, 64, 10])).predictArray(rand(256 * 784, 1), 256),
  },
  {
    key: 'mlp_infer_1',
    name: 'MLP 784-128-64-10 inference, batch 1',
    unit: 'µs (lower is better)',
    items: 0,
    training: false,
    make: (b) => forward(MLP_SOURCE, 'MLP', b, { x: { data: rand(784, 1), shape: [1, 784] } }),
    tfjs: () => tfMlp(mlpWeights(MLP_SOURCE, 'MLP', [784, 128, 64, 10])).predictArray(rand(784, 1), 1),
  },
  {
    key: 'matmul_256',
    name: 'matmul 256×256',
    unit: 'GFLOP/s',
    items: (2 * 256 ** 3) / 1e9,
    training: false,
    make: (b) => matmulForward(b, { a: { data: rand(65536, 2), shape: [256, 256] }, b: { data: rand(65536, 3), shape: [256, 256] } }),
    tfjs: () => tfMatmul(rand(65536, 2), rand(65536, 3), 256).runArrays,
  },
];

export type Torch = { version: string; note: string; rows: Record<string, Record<string, number>> } | { skipped: string };

/**
 * OpenBLAS picks its kernels by CPU model and falls back to its SSE3 ones ("Prescott") on a model it
 * does not know (0.3.21 on this machine's Xeon): then PyTorch's matrix products run at a tenth of
 * what the CPU can do. So that the peer is at its best, such a fallback on an AVX-512 (AVX2) CPU
 * runs PyTorch with OPENBLAS_CORETYPE=SkylakeX (Haswell), OpenBLAS's kernels for that instruction set.
 */
const openblasCore = (env: NodeJS.ProcessEnv): { coretype?: string; note: string } => {
  const probe =
    "import ctypes; l = ctypes.CDLL('libopenblas.so.0'); l.openblas_get_corename.restype = ctypes.c_char_p; " + 'print(l.openblas_get_corename().decode())';
  const r = spawnSync(PY, ['-c', probe], { encoding: 'utf8', env });
  const core = r.status === 0 ? r.stdout.trim() : undefined;
  if (core === undefined) return { note: 'OpenBLAS core: unknown (libopenblas.so.0 not loadable from Python)' };
  const flags = (() => {
    try {
      return readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      return '';
    }
  })();
  const generic = /^(prescott|nehalem|core2|katmai|atom|sandybridge)$/i.test(core);
  const better = / avx512f /.test(flags) ? 'SkylakeX' : / avx2 /.test(flags) ? 'Haswell' : undefined;
  if (!generic || !better) return { note: `OpenBLAS core ${core}` };
  return { coretype: better, note: `OpenBLAS detects this CPU as ${core}; PyTorch runs with OPENBLAS_CORETYPE=${better}, its kernels for this CPU` };
};

/**
 * PyTorch's seconds per call at 1 and 2 threads for the workloads `keys`, or why it was skipped; `extra`
 * goes into bench/torch_peer.py's configuration as well (the scaling curves' points and timing).
 */
export const torchPeer = (keys: readonly string[], extra: Record<string, unknown> = {}): Torch => {
  const probe = spawnSync(PY, ['-c', 'import torch'], { encoding: 'utf8' });
  const why = probe.stderr ? `: ${probe.stderr.trim().split('\n').pop()}` : '';
  if (probe.status !== 0) return { skipped: `${PY} -c 'import torch' failed${why} (apt-get install python3-torch)` };
  // OpenBLAS tuning variables are unset for this one command only (the machine's defaults elsewhere).
  // One process per thread count: OpenBLAS keeps its own thread pool whatever torch.set_num_threads
  // says, so its size is set through the environment too.
  const script = fileURLToPath(new URL('../bench/torch_peer.py', import.meta.url));
  const rows: Record<string, Record<string, number>> = {};
  let version = '';
  const base: NodeJS.ProcessEnv = { ...process.env };
  delete base['OPENBLAS_CORETYPE'];
  delete base['OPENBLAS_L2_SIZE'];
  const core = openblasCore(base);
  for (const threads of [1, 2]) {
    const env: NodeJS.ProcessEnv = { ...base, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) };
    if (core.coretype) env['OPENBLAS_CORETYPE'] = core.coretype;
    const cfg = { seed: SEED, threads: [threads], lstm: LSTM, block: BLOCK, keys, ...extra };
    const r = spawnSync(PY, [script, JSON.stringify(cfg)], { encoding: 'utf8', env, maxBuffer: 1 << 24, timeout: 600_000 });
    if (r.status !== 0) return { skipped: `bench/torch_peer.py failed: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-3).join(' ')}` };
    const out = JSON.parse(r.stdout) as { version: string; rows: Record<string, Record<string, number>> };
    version = out.version;
    for (const [k, v] of Object.entries(out.rows)) rows[k] = { ...rows[k], ...v };
  }
  return { version, note: core.note, rows };
};

export interface CompileTimes {
  /** The training step's compile (Trainer.compile of a checked model) with an empty cache: kernels and module. */
  readonly cold: number;
  /** The same with the kernels' objects cached (a new module: batch 31). */
  readonly coldModule: number;
  /** The same from the cache (median of 5). */
  readonly cached: number;
  /** Parsing and checking the source into a model (median of 5), the same for every backend, not in the figures above. */
  readonly front: number;
}

/**
 * A backend's compile of the MNIST (784-16-16-10) training step, in milliseconds, against an empty
 * cache directory of its own. Only native keeps compiled objects (on disk, by content hash); js and wasm
 * keep none, so their "cached" compile runs the whole pipeline again with the compiler warm.
 */
export const compileTimes = (backend: Backend): CompileTimes => {
  const dir = mkdtempSync(join(tmpdir(), 'dlm-bench-cache-'));
  const saved = process.env['DLM_CACHE_DIR'];
  process.env['DLM_CACHE_DIR'] = dir;
  const fronts: number[] = [];
  const once = (B: number) => {
    const t0 = performance.now();
    const m = model(SMALL_SOURCE, 'Small', backend);
    const t1 = performance.now();
    new Trainer(m).compile(batchOf(new Float32Array(B * 784), [B, 784], B));
    fronts.push(t1 - t0);
    return performance.now() - t1;
  };
  try {
    const cold = once(32),
      cached = median([once(32), once(32), once(32), once(32), once(32)]),
      coldModule = once(31);
    return { cold, coldModule, cached, front: median(fronts) };
  } finally {
    if (saved === undefined) delete process.env['DLM_CACHE_DIR'];
    else process.env['DLM_CACHE_DIR'] = saved;
    rmSync(dir, { recursive: true, force: true });
  }
};
