// The backends section's table and targets (bench/backends.ts has the workloads and the PyTorch peer):
// each workload on each dlm backend, native and wasm also on two threads (setNativeThreads(2), setWasmThreads(2)), beside PyTorch
// at 1 and 2 threads, and both on one thread by CPU time; ratios against PyTorch's better figure; the
// compile time of every backend cold and cached; the targets as PASS/MISS (n/a where not measured).
import { availableParallelism, loadavg } from 'node:os';
import { nativeUnavailable, type Backend } from '../compiler/native/backend.js';
import { compileTimes, torchPeer, WORKLOADS, type CompileTimes, type Torch } from './backends.js';
import { useBackend } from './peers.js';
import { cpuPass, median, pass, withThreads, withWasmThreads } from './timing.js';

const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '—' : v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toPrecision(3));

export interface BackendReport {
  readonly rows: { key: string; name: string; unit: string; values: Record<string, number> }[];
  /** The MNIST training step's compile times by backend. */
  readonly compile?: Partial<Record<Backend, CompileTimes>>;
  readonly torch: Torch;
  readonly targets: { name: string; ok: boolean | undefined }[];
  /** One-minute load average at the start and the end of the section. */
  readonly load: readonly number[];
}

export interface BackendOptions {
  /** The dlm backends to run (default all three; native only where it is available). */
  readonly backends?: readonly Backend[];
  /** Workload keys to run (default all). */
  readonly keys?: readonly string[];
  /** Run PyTorch beside dlm (default true). */
  readonly torch?: boolean;
}

/** The compile-time table: one row per backend, cold (empty cache), a new batch shape, cached. */
const printCompileTimes = (compile: Partial<Record<Backend, CompileTimes>>) => {
  console.log('\ncompile of the MNIST 784-16-16-10 training step (Trainer.compile), ms:');
  console.log(`${'backend'.padEnd(8)} ${'cold (empty cache)'.padStart(19)} ${'new batch shape'.padStart(16)} ${'cached'.padStart(8)}`);
  let front = 0;
  for (const [b, t] of Object.entries(compile)) {
    console.log(`${b.padEnd(8)} ${t.cold.toFixed(1).padStart(19)} ${t.coldModule.toFixed(1).padStart(16)} ${t.cached.toFixed(1).padStart(8)}`);
    front = t.front;
  }
  console.log("  (new batch shape: batch 31, a new module; native's kernel objects are cached by then)");
  console.log('  (js and wasm keep no compiled cache: their "cached" compile runs the whole pipeline again, the compiler warm)');
  console.log(`  (parsing and checking the source into a model, the same for every backend: ${front.toFixed(1)} ms more)`);
};

/**
 * Runs the section. Where the wasm backend runs, tfjs-wasm runs each workload too, in the same
 * interleaved passes (its backend is set to wasm for the section: nothing after it uses tfjs).
 */
export const backendsReport = async (opts: BackendOptions = {}): Promise<BackendReport> => {
  const why = nativeUnavailable();
  if (why) console.log(`native backend skipped: ${why}`);
  const backends = (opts.backends ?? ['js', 'wasm', 'native']).filter((b) => b !== 'native' || !why);
  const withTfjs = backends.includes('wasm');
  if (withTfjs) await useBackend('wasm');
  const workloads = WORKLOADS.filter((w) => !opts.keys || opts.keys.includes(w.key));
  // a shared machine's load moves PyTorch's figures more than dlm's: print it beside the table
  const load0 = loadavg()[0]!;
  const torch: Torch = opts.torch === false ? { skipped: 'not asked for (--no-torch)' } : torchPeer(workloads.map((w) => w.key));
  if ('skipped' in torch) console.log(`PyTorch skipped: ${torch.skipped}`);
  const rows: BackendReport['rows'] = [];
  for (const w of workloads) {
    // native twice: one thread (the default) and two; passes interleaved so drift hits every column alike
    const runs: (readonly [string, () => void])[] = backends.map((b) => [b, b === 'native' ? withThreads(1, () => w.make(b)) : w.make(b)] as const);
    if (backends.includes('native')) runs.push(['native-2t', withThreads(2, () => w.make('native'))]);
    // wasm on two threads (runtime/wasm/threads.ts): its workers start in the background, so a longer warm-up
    if (backends.includes('wasm')) runs.push(['wasm-2t', withWasmThreads(2, () => w.make('wasm'))]);
    if (withTfjs && w.tfjs) runs.push(['tfjs-wasm', w.tfjs()]);
    const timed = (col: string, f: () => number) =>
      col === 'native-2t' ? withThreads(2, f) : col === 'native' ? withThreads(1, f) : col === 'wasm-2t' ? withWasmThreads(2, f) : f();
    for (const [c, f] of runs) timed(c, () => pass(f, c === 'wasm-2t' ? 0.3 : 0.05));
    const times: Record<string, number[]> = {};
    for (const [c] of runs) times[c] = [];
    for (let p = 0; p < 3; p++) for (const [c, f] of runs) times[c]!.push(timed(c, () => pass(f, 0.3)));
    // one thread's CPU time per call: what it costs whatever else the machine runs (a loaded machine
    // stretches wall times, PyTorch's more than dlm's); PyTorch's the same way (torch_peer.py), and as there
    // the median of three passes
    const native1 = runs.find(([c]) => c === 'native');
    if (native1) times['native-cpu'] = [0, 1, 2].map(() => withThreads(1, () => cpuPass(native1[1], 0.3)));
    // wasm and tfjs-wasm by CPU time too, interleaved (both one thread)
    const wasm1 = runs.find(([c]) => c === 'wasm'),
      tfjs1 = runs.find(([c]) => c === 'tfjs-wasm');
    if (wasm1 && tfjs1) {
      times['wasm-cpu'] = [];
      times['tfjs-wasm-cpu'] = [];
      for (let p = 0; p < 3; p++) {
        times['wasm-cpu'].push(cpuPass(wasm1[1], 0.2));
        times['tfjs-wasm-cpu'].push(cpuPass(tfjs1[1], 0.2));
      }
    }
    const value = (s: number) => (w.items === 0 ? s * 1e6 : w.items / s);
    const values: Record<string, number> = Object.fromEntries(Object.entries(times).map(([b, t]) => [b, value(median(t))]));
    if (!('skipped' in torch)) {
      for (const th of ['1', '2']) {
        const s = torch.rows[w.key]?.[th];
        if (s !== undefined) values[`torch-${th}`] = value(s);
      }
      const c = torch.rows[w.key]?.['cpu1'];
      if (c !== undefined) values['torch-cpu'] = value(c);
    }
    rows.push({ key: w.key, name: w.name, unit: w.unit, values });
  }
  const compile = !opts.keys || opts.keys.includes('compile') ? Object.fromEntries(backends.map((b) => [b, compileTimes(b)])) : undefined;
  const nativeCompile = compile?.['native'];

  const cols = [
    'js',
    'wasm',
    'wasm-2t',
    'native',
    'native-2t',
    'torch-1',
    'torch-2',
    'tfjs-wasm',
    'native-cpu',
    'torch-cpu',
    'wasm-cpu',
    'tfjs-wasm-cpu',
  ].filter((c) => rows.some((r) => r.values[c] !== undefined));
  const lower = (unit: string) => unit.startsWith('µs');
  const better = (unit: string, xs: (number | undefined)[]) => {
    const t = xs.filter((v): v is number => v !== undefined);
    return t.length ? t.reduce((a, b) => (lower(unit) ? Math.min(a, b) : Math.max(a, b))) : undefined;
  };
  const torchBest = (r: BackendReport['rows'][number]) => better(r.unit, [r.values['torch-1'], r.values['torch-2']]);
  /** how many times better than `ref` (above 1: faster) */
  const over = (unit: string, v: number | undefined, ref: number | undefined) =>
    v === undefined || ref === undefined ? undefined : lower(unit) ? ref / v : v / ref;
  const nativeBest = (r: BackendReport['rows'][number]) => better(r.unit, [r.values['native'], r.values['native-2t']]);
  type Ratio = [string, (r: BackendReport['rows'][number]) => number | undefined];
  const ratioCols: Ratio[] = backends.map((b): Ratio => [`${b}/torch`, (r) => over(r.unit, b === 'native' ? nativeBest(r) : r.values[b], torchBest(r))]);
  if (backends.includes('wasm')) ratioCols.push(['wasm-2t/torch', (r) => over(r.unit, r.values['wasm-2t'], torchBest(r))]);
  if (backends.includes('native')) ratioCols.push(['cpu-1t ratio', (r) => over(r.unit, r.values['native-cpu'], r.values['torch-cpu'])]);
  if (withTfjs) {
    ratioCols.push(['wasm/tfjs-wasm', (r) => over(r.unit, r.values['wasm'], r.values['tfjs-wasm'])]);
    ratioCols.push(['same, by CPU', (r) => over(r.unit, r.values['wasm-cpu'], r.values['tfjs-wasm-cpu'])]);
  }
  const peer = 'skipped' in torch ? '(skipped)' : `${torch.version}; ${torch.note}`;
  console.log(`\nbackends beside PyTorch ${peer} (ratios: dlm / the better of PyTorch's 1- and 2-thread figures; native: its better of 1 and 2 threads)`);
  console.log(`load average ${load0.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end, on ${availableParallelism()} cores`);
  console.log('native-cpu, torch-cpu: one thread, by the CPU time the process ran (robust to the load; cpu-1t ratio compares those two)');
  console.log("matmul 256: native writes into one output array (forward's out) as PyTorch runs torch.mm(a, b, out=c); js and wasm return fresh arrays");
  if (withTfjs) {
    console.log('tfjs-wasm: measured here, interleaved with dlm; inference rows on both sides from Float32Array inputs to Float32Array outputs');
    console.log('  (dlm: Model.forward; tfjs: tf.tensor, the ops in tf.tidy, dataSync, dispose); wasm-cpu, tfjs-wasm-cpu: the same by CPU time');
  }
  const heads = ratioCols.map(([h]) => h.padStart(12)).join(' ');
  console.log(`${'workload'.padEnd(58)} ${'unit'.padEnd(20)} ${cols.map((c) => c.padStart(10)).join(' ')}  ${heads}`);
  for (const r of rows) {
    const ratios = ratioCols.map(([, f]) => {
      const x = f(r);
      return (x === undefined ? '—' : `${x.toFixed(2)}×`).padStart(12);
    });
    console.log(`${r.name.padEnd(58)} ${r.unit.padEnd(20)} ${cols.map((c) => fmt(r.values[c]).padStart(10)).join(' ')}  ${ratios.join(' ')}`);
  }
  if (compile) printCompileTimes(compile);

  const row = (k: string) => rows.find((r) => r.key === k);
  const nat = (k: string, factor: number) => {
    const r = row(k);
    const x = r && over(r.unit, nativeBest(r), torchBest(r));
    return x === undefined ? undefined : x >= factor;
  };
  const mm = row('matmul_256')?.values ?? {};
  /** a ≥ factor·b, or undefined when either was not measured */
  const atLeast = (a: number | undefined, factor: number, b: number | undefined) => (a === undefined || b === undefined ? undefined : a >= factor * b);
  const wasmVsTfjs = (k: string) => {
    const r = row(k);
    return r && atLeast(over(r.unit, r.values['wasm'], r.values['tfjs-wasm']), 1, 1);
  };
  const targets: BackendReport['targets'] = [
    ...WORKLOADS.filter((w) => w.training).map((w) => ({ name: `native ≥ 1× PyTorch: ${w.name}`, ok: nat(w.key, 1) })),
    { name: 'native ≥ 2× PyTorch: MLP 784-16-16-10 training', ok: nat('small_train', 2) },
    { name: 'native ≥ 2× PyTorch: batch-1 latency', ok: nat('mlp_infer_1', 2) },
    { name: 'native matmul 256 ≥ 0.8× PyTorch 1 thread', ok: atLeast(mm['native'], 0.8, mm['torch-1']) },
    { name: 'native matmul 256 on one thread, by CPU time, ≥ 0.8× PyTorch 1 thread by CPU time', ok: atLeast(mm['native-cpu'], 0.8, mm['torch-cpu']) },
    { name: 'native matmul 256 on two threads ≥ 1.5× PyTorch 1 thread', ok: atLeast(mm['native-2t'], 1.5, mm['torch-1']) },
    ...WORKLOADS.map((w) => ({ name: `wasm ≥ 1× tfjs-wasm: ${w.name}`, ok: wasmVsTfjs(w.key) })),
    { name: 'first native compile of the MNIST training step ≤ 1.5 s (empty cache)', ok: nativeCompile ? nativeCompile.cold <= 1500 : undefined },
    { name: 'cached native compile of the MNIST training step ≤ 50 ms', ok: nativeCompile ? nativeCompile.cached <= 50 : undefined },
  ];
  console.log('\nbackend targets:');
  for (const t of targets) if (t.ok !== undefined) console.log(`  ${t.ok ? 'PASS' : 'MISS'}  ${t.name}`);
  const unmeasured = targets.filter((t) => t.ok === undefined).length;
  if (unmeasured) console.log(`  (${unmeasured} more not measured in this run: n/a)`);
  return { rows, ...(compile ? { compile } : {}), torch, targets, load: [load0, loadavg()[0]!] };
};
