// The scaling curves' pure half (bench/scaling.ts measures): which points there are, how seconds per
// call become throughput curves per system, the printed tables with ratios against PyTorch, the JSON
// record and the two log-log charts (bench/svg.ts). Nothing here times or writes anything.
import { logLogSvg, type Chart, type Panel, type Series } from './svg.js';

/** Batch sizes of the batch sweep (at FIXED_WIDTH) and hidden widths of the width sweep (at FIXED_BATCH). */
export const BATCHES = [1, 4, 16, 64, 256, 1024] as const;
export const WIDTHS = [64, 128, 256, 512, 1024] as const;
export const FIXED_WIDTH = 256;
export const FIXED_BATCH = 64;

/**
 * Every system a curve may have, in the order of the tables and legends (native-2t, torch-2: two threads;
 * native-cpu, torch-cpu: one thread by the CPU time the process ran, robust to the load; tables only).
 */
export const SYSTEMS = ['js', 'wasm', 'native', 'native-2t', 'torch-1', 'torch-2', 'native-cpu', 'torch-cpu'] as const;
export type System = (typeof SYSTEMS)[number];
/** The systems drawn in the charts (wall-clock throughput). */
const PLOTTED: readonly System[] = ['js', 'wasm', 'native', 'native-2t', 'torch-1', 'torch-2'];
export type Sweep = 'batch' | 'width';
export type Mode = 'train' | 'infer';

export interface ScalingPoint {
  /** Names the measurement (the sweeps share their crossing point: one key, measured once). */
  readonly key: string;
  readonly mode: Mode;
  readonly batch: number;
  readonly width: number;
}

/** Seconds per call by point key and system; a missing entry was not measured. */
export type Measurements = Readonly<Record<string, Partial<Record<System, number>>>>;

export const pointKey = (mode: Mode, batch: number, width: number): string => `${mode}_b${batch}_w${width}`;

const point = (mode: Mode, batch: number, width: number): ScalingPoint => ({ key: pointKey(mode, batch, width), mode, batch, width });

/** The points of one curve, in x order. */
export const curvePoints = (sweep: Sweep, mode: Mode): ScalingPoint[] =>
  sweep === 'batch' ? BATCHES.map((b) => point(mode, b, FIXED_WIDTH)) : WIDTHS.map((w) => point(mode, FIXED_BATCH, w));

export const CURVES: readonly (readonly [Sweep, Mode])[] = [
  ['batch', 'train'],
  ['batch', 'infer'],
  ['width', 'train'],
  ['width', 'infer'],
];

/** Every distinct point of the four curves (the crossing point once per mode). */
export const allPoints = (): ScalingPoint[] => {
  const seen = new Map<string, ScalingPoint>();
  for (const [s, m] of CURVES) for (const p of curvePoints(s, m)) if (!seen.has(p.key)) seen.set(p.key, p);
  return [...seen.values()];
};

/** The model's source; the width is a validated integer, the only thing spliced into it. */
export const scalingSource = (width: number): string => {
  if (!Number.isInteger(width) || width < 1 || width > 65536) throw new Error(`scaling: bad width ${width}`);
  return `import nn
model Scale {
  input  x: f32[B, 784]
  target y: i32[B]
  layer l1 = nn.Dense(784, ${width})
  layer l2 = nn.Dense(${width}, ${width})
  layer l3 = nn.Dense(${width}, 10)
  output logits = l3(relu(l2(relu(l1(x)))))
  loss nn.cross_entropy(logits, y)
}`;
};

/** Multiply-adds per sample of the MLP 784-W-W-10: 784·W + W·W + W·10. */
export const macsPerSample = (width: number): number => 784 * width + width * width + width * 10;
/** FLOPs per call: a forward pass is 2 per multiply-add; a training step about three forward passes (forward, two products back). */
export const flopsPerCall = (p: ScalingPoint): number => (p.mode === 'train' ? 6 : 2) * p.batch * macsPerSample(p.width);

export interface Curve {
  readonly sweep: Sweep;
  readonly mode: Mode;
  /** The x values (batch sizes or widths). */
  readonly x: readonly number[];
  /** Samples per second by system, one per x (undefined: not measured). */
  readonly throughput: Partial<Record<System, readonly (number | undefined)[]>>;
}

/** Seconds per call → samples per second, for each curve and system that has any figure. */
export const buildCurves = (m: Measurements): Curve[] =>
  CURVES.map(([sweep, mode]) => {
    const pts = curvePoints(sweep, mode);
    const throughput: Partial<Record<System, (number | undefined)[]>> = {};
    for (const s of SYSTEMS) {
      const ys = pts.map((p) => {
        const sec = m[p.key]?.[s];
        return sec !== undefined && Number.isFinite(sec) && sec > 0 ? p.batch / sec : undefined;
      });
      if (ys.some((y) => y !== undefined)) throughput[s] = ys;
    }
    return { sweep, mode, x: pts.map((p) => (sweep === 'batch' ? p.batch : p.width)), throughput };
  });

const better = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.max(a, b));

/**
 * Ratio columns of a curve's table: each dlm backend (native: its better thread count) against PyTorch's
 * better figure; cpu-1t: native against PyTorch on one thread each, by CPU time.
 */
export const ratios = (c: Curve): Record<RatioKey, (number | undefined)[]> => {
  const at = (s: System, i: number) => c.throughput[s]?.[i];
  const torch = c.x.map((_, i) => better(at('torch-1', i), at('torch-2', i)));
  const over = (f: (i: number) => number | undefined) => c.x.map((_, i) => (f(i) === undefined || torch[i] === undefined ? undefined : f(i)! / torch[i]!));
  const cpu = c.x.map((_, i) => {
    const a = at('native-cpu', i),
      b = at('torch-cpu', i);
    return a === undefined || b === undefined ? undefined : a / b;
  });
  return {
    js: over((i) => at('js', i)),
    wasm: over((i) => at('wasm', i)),
    native: over((i) => better(at('native', i), at('native-2t', i))),
    'cpu-1t': cpu,
  };
};
const RATIOS = ['js', 'wasm', 'native', 'cpu-1t'] as const;
type RatioKey = (typeof RATIOS)[number];

export const curveTitle = (c: Pick<Curve, 'sweep' | 'mode'>): string =>
  `MLP 784-W-W-10 ${c.mode === 'train' ? 'training step (SGD)' : 'inference'}, ` +
  (c.sweep === 'batch' ? `against batch size (W = ${FIXED_WIDTH})` : `against hidden width W (batch ${FIXED_BATCH})`);

const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '—' : v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toPrecision(3));

/** A curve as printed lines: x, samples/s per system, then dlm / PyTorch ratios. */
export const curveTable = (c: Curve): string[] => {
  const cols = SYSTEMS.filter((s) => c.throughput[s]);
  const r = ratios(c);
  const ratioCols = RATIOS.filter((k) => r[k].some((v) => v !== undefined));
  const xName = c.sweep === 'batch' ? 'batch' : 'width';
  const ratioHeads = ratioCols.map((k) => (k === 'cpu-1t' ? 'cpu-1t ratio' : `${k}/torch`).padStart(12));
  const head = `${xName.padStart(6)} ${cols.map((s) => s.padStart(11)).join(' ')}  ${ratioHeads.join(' ')}`;
  const lines = c.x.map((x, i) => {
    const vals = cols.map((s) => fmt(c.throughput[s]![i]).padStart(11)).join(' ');
    const rs = ratioCols.map((k) => (r[k][i] === undefined ? '—' : `${r[k][i]!.toFixed(2)}×`).padStart(12)).join(' ');
    return `${String(x).padStart(6)} ${vals}  ${rs}`;
  });
  return [`${curveTitle(c)}, samples/s`, head, ...lines];
};

/** The record bench/results-scaling.json holds (arrays with null where a system was not measured). */
export const scalingJson = (curves: readonly Curve[], m: Measurements, meta: Record<string, unknown>): string =>
  `${JSON.stringify(
    {
      ...meta,
      model: 'MLP 784-W-W-10, ReLU, cross-entropy; training: one SGD step (lr 0.01); inference: the logits',
      fixed: { width: FIXED_WIDTH, batch: FIXED_BATCH },
      unit: 'samples/s',
      curves: curves.map((c) => ({ sweep: c.sweep, mode: c.mode, title: curveTitle(c), x: c.x, throughput: c.throughput, ratios: ratios(c) })),
      secondsPerCall: m,
    },
    (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v),
    2,
  )}\n`;

const LABELS: Partial<Record<System, string>> = {
  js: 'dlm js',
  wasm: 'dlm wasm',
  native: 'dlm native',
  'native-2t': 'dlm native 2 threads',
  'torch-1': 'PyTorch',
  'torch-2': 'PyTorch 2 threads',
};
/** Colour and marker per system (the same in every panel); the two-thread lines are dashed in their one-thread colour. */
const STYLE: Partial<Record<System, number>> = { js: 0, wasm: 1, native: 2, 'native-2t': 2, 'torch-1': 3, 'torch-2': 3 };

const panelOf = (c: Curve): Panel => ({
  title: c.mode === 'train' ? 'training step (SGD)' : 'inference',
  xLabel: c.sweep === 'batch' ? `batch size (width ${FIXED_WIDTH})` : `hidden width W (batch ${FIXED_BATCH})`,
  yLabel: 'samples / s',
  xTicks: c.x,
  series: PLOTTED.filter((s) => c.throughput[s]).map(
    (s): Series => ({
      name: LABELS[s] ?? s,
      style: STYLE[s] ?? 0,
      dashed: s.endsWith('-2t') || s === 'torch-2',
      points: c.x.map((x, i) => ({ x, y: c.throughput[s]![i] })),
    }),
  ),
});

/** The two charts: batch sweep and width sweep, each with a training and an inference panel. */
export const scalingCharts = (curves: readonly Curve[], subtitle: string): Record<Sweep, Chart> => {
  const chart = (sweep: Sweep): Chart => ({
    title: sweep === 'batch' ? 'MLP 784-W-W-10 throughput against batch size' : 'MLP 784-W-W-10 throughput against hidden width',
    subtitle,
    panels: curves.filter((c) => c.sweep === sweep).map(panelOf),
  });
  return { batch: chart('batch'), width: chart('width') };
};

export const scalingSvgs = (curves: readonly Curve[], subtitle: string): Record<Sweep, string> => {
  const c = scalingCharts(curves, subtitle);
  return { batch: logLogSvg(c.batch), width: logLogSvg(c.width) };
};
