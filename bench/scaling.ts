// The scaling section of `npm run bench` (alone: `npm run bench -- --only scaling`): an MLP 784-W-W-10
// training step and its inference on every dlm backend (native on 1 and 2 threads) and PyTorch (1 and 2
// threads, bench/torch_peer.py) against batch size at a fixed width and against width at a fixed batch
// (bench/scalingReport.ts has the points, tables and charts). Short timed windows keep it to a few
// minutes; the js backend leaves out its slowest points (said in the output). Writes
// bench/results-scaling.json, bench/scaling-batch.svg and bench/scaling-width.svg.
import { availableParallelism, cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { writeAtomic } from '../compiler/cli/io.js';
import { compileOrThrow, type Model } from '../compiler/index.js';
import { nativeUnavailable, type Backend } from '../compiler/native/backend.js';
import { Rng } from '../runtime/random.js';
import { torchPeer } from './backends.js';
import { compiledRunner, forwardProgram, trainStep } from './dlm.js';
import {
  allPoints,
  buildCurves,
  curveTable,
  flopsPerCall,
  scalingJson,
  scalingSource,
  scalingSvgs,
  type Measurements,
  type ScalingPoint,
  type System,
} from './scalingReport.js';
import { cpuPass, median, pass, withThreads } from './timing.js';

/** Interleaved passes per point and their minimum length (s): short, so that the section stays a few minutes. */
const PASSES = 3,
  MIN = 0.1,
  WARM = 0.03;
/** The js backend skips points costing more than this per call (about a second of its time there). */
export const JS_MAX_GFLOP = 1;
const SEED = 7;

const rand = (n: number, seed: number) => {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.normal());
};

/** A zero-allocation call of the point's work on `backend`: one training step, or one forward pass. */
const runnerOf = (p: ScalingPoint, backend: Backend): (() => void) => {
  const m: Model = compileOrThrow(scalingSource(p.width)).model('Scale', { seed: 0, backend });
  const x = { data: rand(p.batch * 784, SEED), shape: [p.batch, 784] };
  if (p.mode === 'train') return trainStep(m, { x, y: { data: Int32Array.from({ length: p.batch }, (_, i) => i % 10), shape: [p.batch] } }, 0.01);
  return compiledRunner(m, forwardProgram(m), { x }).run;
};

/** dlm's seconds per call at one point, every backend's passes interleaved so drift hits them alike. */
const measurePoint = (p: ScalingPoint, backends: readonly Backend[]): Partial<Record<System, number>> => {
  const runs: [System, () => void, number][] = [];
  for (const b of backends) {
    if (b === 'js' && flopsPerCall(p) > JS_MAX_GFLOP * 1e9) continue;
    const f = runnerOf(p, b);
    runs.push([b, f, 1]);
    if (b === 'native') runs.push(['native-2t', f, 2]);
  }
  const times = new Map<System, number[]>(runs.map(([s]) => [s, []]));
  for (const [, f, n] of runs) withThreads(n, () => pass(f, WARM));
  for (let i = 0; i < PASSES; i++) for (const [s, f, n] of runs) times.get(s)!.push(withThreads(n, () => pass(f, MIN)));
  const out: Partial<Record<System, number>> = Object.fromEntries([...times].map(([s, t]) => [s, median(t)]));
  // one thread's CPU time per call: what it costs whatever else the machine runs (PyTorch's the same way)
  const native = runs.find(([s]) => s === 'native');
  if (native) out['native-cpu'] = withThreads(1, () => cpuPass(native[1], MIN));
  return out;
};

export interface ScalingOptions {
  /** Run PyTorch beside dlm (default true). */
  readonly torch?: boolean;
}

const out = (name: string) => fileURLToPath(new URL(`../bench/${name}`, import.meta.url));

/** Runs the section: prints its tables, writes its JSON and SVG files; returns the measurements. */
export const scalingReport = (opts: ScalingOptions = {}): Measurements => {
  const t0 = performance.now();
  const load0 = loadavg()[0]!;
  const why = nativeUnavailable();
  if (why) console.log(`scaling: native backend skipped: ${why}`);
  const backends: Backend[] = ['js', 'wasm', ...(why ? [] : ['native' as const])];
  const points = allPoints();
  const m: Record<string, Partial<Record<System, number>>> = {};
  const torchCfg = {
    scaling: points.map((p) => ({ key: p.key, batch: p.batch, width: p.width, train: p.mode === 'train' })),
    timing: { passes: PASSES, min: MIN },
  };
  const torch = opts.torch === false ? { skipped: 'not asked for (--no-torch)' } : torchPeer([], torchCfg);
  if ('skipped' in torch) console.log(`scaling: PyTorch skipped: ${torch.skipped}`);
  for (const p of points) {
    m[p.key] = measurePoint(p, backends);
    if (!('skipped' in torch)) {
      const r = torch.rows[p.key];
      if (r?.['1'] !== undefined) m[p.key]!['torch-1'] = r['1'];
      if (r?.['2'] !== undefined) m[p.key]!['torch-2'] = r['2'];
      if (r?.['cpu1'] !== undefined) m[p.key]!['torch-cpu'] = r['cpu1'];
    }
  }
  const curves = buildCurves(m);
  const load1 = loadavg()[0]!;
  const seconds = (performance.now() - t0) / 1000;
  const machine = `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${availableParallelism()} cores`;
  const date = new Date().toISOString();
  const peer = 'skipped' in torch ? 'PyTorch skipped' : `PyTorch ${torch.version} (${torch.note})`;
  const subtitle = `${machine} · load average ${load0.toFixed(1)} → ${load1.toFixed(1)} · ${date.slice(0, 16).replace('T', ' ')} UTC`;
  const skipped = points.filter((p) => flopsPerCall(p) > JS_MAX_GFLOP * 1e9).map((p) => `${p.mode} batch ${p.batch} width ${p.width}`);

  console.log(`\nscaling curves: MLP 784-W-W-10 on each backend beside ${peer}`);
  console.log(`${machine}; load average ${load0.toFixed(1)} at the start, ${load1.toFixed(1)} at the end; ${seconds.toFixed(0)} s`);
  console.log(`timing: ${PASSES} interleaved passes of ≥ ${MIN} s per point, median; ratios: dlm / the better of PyTorch's 1- and 2-thread figures`);
  console.log('native-cpu, torch-cpu: one thread, by the CPU time the process ran (robust to the load; cpu-1t ratio compares those two)');
  if (skipped.length) console.log(`js: left out above ${JS_MAX_GFLOP} GFLOP per call (${skipped.join('; ')})`);
  for (const c of curves) console.log(`\n${curveTable(c).join('\n')}`);

  const svgs = scalingSvgs(curves, subtitle);
  const meta = { date, machine, load: [load0, load1], seconds, peer, jsSkipped: skipped };
  writeAtomic(out('results-scaling.json'), scalingJson(curves, m, meta));
  writeAtomic(out('scaling-batch.svg'), svgs.batch);
  writeAtomic(out('scaling-width.svg'), svgs.width);
  console.log(`\nscaling: ${out('results-scaling.json')}, ${out('scaling-batch.svg')}, ${out('scaling-width.svg')}`);
  return m;
};
