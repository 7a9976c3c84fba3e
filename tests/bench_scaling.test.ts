// The bench's scaling curves without timing anything: the log-log SVG writer (bench/svg.ts) on
// synthetic series, and the series → table → JSON pieces (bench/scalingReport.ts).
import { describe, expect, test } from 'vitest';
import {
  allPoints,
  BATCHES,
  buildCurves,
  curvePoints,
  curveTable,
  FIXED_BATCH,
  FIXED_WIDTH,
  flopsPerCall,
  ratios,
  scalingJson,
  scalingSource,
  scalingSvgs,
  WIDTHS,
  type Measurements,
} from '../bench/scalingReport.js';
import { benchFlags } from '../bench/flags.js';
import { escapeXml, logLogSvg, logTicks, tickLabel, type Chart } from '../bench/svg.js';

/** Every tag opened is closed in order (the SVG has no comments, CDATA or processing instructions). */
const wellFormed = (svg: string): boolean => {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    if (m[1]) {
      if (stack.pop() !== m[2]) return false;
    } else if (!m[3]) stack.push(m[2]!);
  }
  return stack.length === 0;
};
/** Every numeric attribute and point list of the document, as numbers. */
const coordinates = (svg: string): number[] =>
  [...svg.matchAll(/ (?:x|y|x1|x2|y1|y2|cx|cy|r|width|height|points)="([^"]*)"/g)].flatMap((m) => m[1]!.split(/[ ,]+/).map(Number));
const labelsOf = (svg: string, cls: string) => [...svg.matchAll(new RegExp(`class="${cls}" x="([^"]+)" y="([^"]+)"[^>]*>([^<]*)<`, 'g'))];

const chart = (title: string, names: string[], ys: (x: number, k: number) => number | undefined): Chart => ({
  title,
  subtitle: 'test machine · load 1.0 · 2026-12-01',
  panels: [
    {
      title: 'training',
      xLabel: 'batch',
      yLabel: 'samples / s',
      xTicks: [1, 4, 16, 64, 256, 1024],
      series: names.map((name, k) => ({ name, dashed: k === 1, points: [1, 4, 16, 64, 256, 1024].map((x) => ({ x, y: ys(x, k) })) })),
    },
  ],
});

describe('log-log SVG', () => {
  test('log ticks: decades, with 2× and 5× when the range spans fewer than three decades', () => {
    expect(logTicks(1, 100)).toEqual([1, 2, 5, 10, 20, 50, 100]);
    expect(logTicks(1, 1000)).toEqual([1, 10, 100, 1000]);
    expect(logTicks(10, 1e6)).toEqual([10, 100, 1000, 1e4, 1e5, 1e6]);
    expect(logTicks(0.01, 0.1)).toEqual([0.01, 0.02, 0.05, 0.1]);
    expect(logTicks(0, 10)).toEqual([]);
    expect(logTicks(Number.NaN, 10)).toEqual([]);
    expect([1, 20, 1000, 1e4, 1.5e6, 3e9, 0.02].map(tickLabel)).toEqual(['1', '20', '1k', '10k', '1.5M', '3G', '0.02']);
  });

  test('axes: x ticks at the given values, evenly spaced when they grow by a constant factor; y ticks at decades, upwards', () => {
    const svg = logLogSvg(chart('scaling', ['a', 'b'], (x, k) => x * 100 * (k + 1)));
    expect(wellFormed(svg)).toBe(true);
    const xs = labelsOf(svg, 'xlabel');
    expect(xs.map((m) => m[3])).toEqual(['1', '4', '16', '64', '256', '1024']);
    const xpos = xs.map((m) => Number(m[1]));
    const gaps = xpos.slice(1).map((v, i) => v - xpos[i]!);
    for (const g of gaps) expect(Math.abs(g - gaps[0]!)).toBeLessThanOrEqual(0.2);
    expect(gaps[0]!).toBeGreaterThan(20);
    // data 100 … 204,800: the axis runs over the enclosing decades 100 … 1M
    const ys = labelsOf(svg, 'ylabel');
    expect(ys.map((m) => m[3])).toEqual(['100', '1k', '10k', '100k', '1M']);
    const ypos = ys.map((m) => Number(m[2]));
    for (let i = 1; i < ypos.length; i++) expect(ypos[i]!).toBeLessThan(ypos[i - 1]!);
    // a decade is the same height everywhere
    expect(Math.abs(ypos[0]! - ypos[1]! - (ypos[3]! - ypos[4]!))).toBeLessThanOrEqual(0.2);
    expect(svg).toContain('>batch<');
    expect(svg).toContain('>samples / s<');
  });

  test('one line and marker per point of each series, a legend entry each, the second dashed', () => {
    const svg = logLogSvg(chart('scaling', ['dlm native', 'PyTorch 2 threads', 'wasm'], (x) => x));
    const series = svg.split('<g class="series">').slice(1);
    expect(series).toHaveLength(3);
    for (const s of series) expect((s.match(/<polyline/g) ?? []).length).toBe(1);
    expect((series[0]!.match(/<circle/g) ?? []).length).toBe(6);
    expect((series[1]!.match(/<rect/g) ?? []).length).toBe(6);
    const legend = [...svg.matchAll(/<g class="legend">.*?<text[^>]*>([^<]*)<\/text><\/g>/g)].map((m) => m[1]);
    expect(legend).toEqual(['dlm native', 'PyTorch 2 threads', 'wasm']);
    expect((svg.match(/stroke-dasharray/g) ?? []).length).toBe(2); // the dashed series' line and its legend sample
  });

  test('points that cannot go on a log axis are left out and break the line; no NaN or Infinity reaches the document', () => {
    const bad = [Number.NaN, 0, -3, Number.POSITIVE_INFINITY, undefined];
    const svg = logLogSvg(
      chart('gaps', ['a', 'b'], (x, k) => (k === 1 && x === 16 ? bad[0] : k === 1 && x === 64 ? bad[1] : k === 0 && x >= 256 ? bad[3] : x)),
    );
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
    const nums = coordinates(svg);
    expect(nums.length).toBeGreaterThan(50);
    for (const v of nums) expect(Number.isFinite(v)).toBe(true);
    const [a, b] = svg.split('<g class="series">').slice(1);
    expect((a!.match(/<circle/g) ?? []).length).toBe(4); // 256 and 1024 are ∞
    expect((b!.match(/<rect/g) ?? []).length).toBe(4);
    expect((b!.match(/<polyline/g) ?? []).length).toBe(2); // 1–4 and 256–1024: the gap is not bridged
    for (const v of bad) {
      const only = logLogSvg(chart('nothing', ['a'], () => v));
      expect(only).toContain('>no data<');
      expect(only).not.toMatch(/NaN|Infinity/);
    }
  });

  test('every text is escaped: titles, labels and series names cannot open a tag or an attribute', () => {
    const evil = `<script>alert("x")</script> & 'q' \u0007`;
    expect(escapeXml(evil)).toBe('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; &#39;q&#39; ');
    const c = chart(evil, [evil, 'ok'], (x) => x);
    const svg = logLogSvg({ ...c, subtitle: evil, panels: [{ ...c.panels[0]!, title: evil, xLabel: evil, yLabel: evil }] });
    expect(svg).not.toContain('<script');
    expect(svg).not.toContain('"x"');
    expect(svg).not.toContain('\u0007');
    expect(wellFormed(svg)).toBe(true);
    expect((svg.match(/&#60;script&#62;/g) ?? []).length).toBe(7); // <title>, title, subtitle, panel title, two labels, the legend
  });
});

/** Seconds per call for a throughput of `rate(point)` samples per second on each system. */
const synthetic = (rates: Record<string, (batch: number, width: number) => number | undefined>): Measurements =>
  Object.fromEntries(
    allPoints().map((p) => [
      p.key,
      Object.fromEntries(
        Object.entries(rates)
          .map(([s, f]) => [s, f(p.batch, p.width)] as const)
          .filter(([, r]) => r !== undefined)
          .map(([s, r]) => [s, p.batch / r!]),
      ),
    ]),
  );

describe('scaling series, tables and JSON', () => {
  test('the sweeps: batch 1…1024 at the fixed width, width 64…1024 at the fixed batch; their crossing measured once per mode', () => {
    expect(curvePoints('batch', 'train').map((p) => [p.batch, p.width])).toEqual(BATCHES.map((b) => [b, FIXED_WIDTH]));
    expect(curvePoints('width', 'infer').map((p) => [p.batch, p.width])).toEqual(WIDTHS.map((w) => [FIXED_BATCH, w]));
    const keys = allPoints().map((p) => p.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toHaveLength(2 * (BATCHES.length + WIDTHS.length - 1));
    // 784·256 + 256² + 2560 multiply-adds a sample; a training step is three forward passes
    expect(flopsPerCall({ key: '', mode: 'infer', batch: 2, width: 256 })).toBe(2 * 2 * 268_800);
    expect(flopsPerCall({ key: '', mode: 'train', batch: 2, width: 256 })).toBe(6 * 2 * 268_800);
  });

  test('seconds per call become samples/s per curve; ratios take the better native and the better PyTorch figure', () => {
    const m = synthetic({
      js: (b) => (b >= 1024 ? undefined : 10 * b),
      wasm: (b) => 50 * b,
      native: (b) => 400 * b,
      'native-2t': (b) => (b >= 256 ? 800 * b : 300 * b),
      'torch-1': (b) => 200 * b,
      'torch-2': (b) => (b === 1 ? 400 : 100 * b),
    });
    const curves = buildCurves(m);
    expect(curves.map((c) => `${c.sweep}/${c.mode}`)).toEqual(['batch/train', 'batch/infer', 'width/train', 'width/infer']);
    const batch = curves[0]!;
    expect(batch.x).toEqual([...BATCHES]);
    for (const [i, b] of BATCHES.entries()) expect(batch.throughput['wasm']![i]).toBeCloseTo(50 * b, 6);
    expect(batch.throughput['js']![5]).toBeUndefined();
    const r = ratios(batch);
    expect(r.native.map((v) => Number(v!.toFixed(6)))).toEqual([1, 2, 2, 2, 4, 4]);
    expect(r.js[0]).toBeCloseTo(10 / 400, 9); // torch-2's 400 beats torch-1's 200 at batch 1
    expect(r.js[5]).toBeUndefined();
    const table = curveTable(batch);
    expect(table[0]).toContain(`against batch size (W = ${FIXED_WIDTH})`);
    expect(table[1]).toMatch(/batch +js +wasm +native +native-2t +torch-1 +torch-2 +js\/torch +wasm\/torch +native\/torch/);
    expect(table[7]).toMatch(/^ {2}1024 +— +51,200 +409,600 +819,200 +204,800 +102,400 +— +0\.25× +4\.00×$/);
    expect(curves[2]!.x).toEqual([...WIDTHS]);

    const json = JSON.parse(scalingJson(curves, m, { date: '2026-12-01', load: [1, 2] }));
    expect(json.date).toBe('2026-12-01');
    expect(json.fixed).toEqual({ width: FIXED_WIDTH, batch: FIXED_BATCH });
    expect(json.curves).toHaveLength(4);
    expect(json.curves[0].throughput.js[5]).toBeNull();
    expect(json.curves[0].ratios.native[4]).toBeCloseTo(4, 9);
    expect(Object.keys(json.secondsPerCall)).toHaveLength(allPoints().length);
  });

  test('CPU-time figures: a column each and the cpu-1t ratio (native against PyTorch, one thread each) in the table, no line in the chart', () => {
    const curves = buildCurves(synthetic({ native: (b) => 400 * b, 'torch-1': (b) => 200 * b, 'native-cpu': (b) => 900 * b, 'torch-cpu': (b) => 300 * b }));
    expect(ratios(curves[0]!)['cpu-1t'].map((v) => Number(v!.toFixed(6)))).toEqual([3, 3, 3, 3, 3, 3]);
    const table = curveTable(curves[0]!);
    expect(table[1]).toMatch(/batch +native +torch-1 +native-cpu +torch-cpu +native\/torch +cpu-1t ratio$/);
    expect(table[2]).toMatch(/ 2\.00× +3\.00×$/);
    const svg = scalingSvgs(curves, 'm').batch;
    expect(svg.split('<g class="series">')).toHaveLength(1 + 2 * 2);
    expect(svg).not.toContain('cpu');
  });

  test('a system with no figure at all is neither a column nor a line; the charts have one panel per mode', () => {
    const curves = buildCurves(synthetic({ wasm: (b) => 50 * b, 'torch-1': (b) => 200 * b }));
    expect(curveTable(curves[0]!)[1]).not.toContain('native');
    const svgs = scalingSvgs(curves, 'machine · load · date');
    for (const svg of [svgs.batch, svgs.width]) {
      expect(wellFormed(svg)).toBe(true);
      expect(svg.split('<g class="panel"')).toHaveLength(3);
      expect(svg).toContain('>training step (SGD)<');
      expect(svg).toContain('>inference<');
      expect(svg.split('<g class="series">')).toHaveLength(5);
      expect(svg).toContain('machine · load · date');
    }
    expect(svgs.width).toContain(`hidden width W (batch ${FIXED_BATCH})`);
  });

  test('the model source takes a validated integer width only', () => {
    for (const w of [0, 1.5, -4, Number.NaN, 1e9]) expect(() => scalingSource(w)).toThrow(/bad width/);
    expect(scalingSource(64)).toContain('layer l2 = nn.Dense(64, 64)');
  });
});

describe('npm run bench flags', () => {
  test('--only scaling runs the curves alone; --no-torch leaves PyTorch out; the backends flags as before', () => {
    expect(benchFlags([])).toEqual({ section: 'all' });
    expect(benchFlags(['--only', 'scaling'])).toEqual({ section: 'scaling', opts: { torch: true } });
    expect(benchFlags(['--only=scaling', '--no-torch'])).toEqual({ section: 'scaling', opts: { torch: false } });
    expect(benchFlags(['--only', 'backends'])).toEqual({ section: 'backends', opts: { torch: true } });
    expect(benchFlags(['--only', 'native', '--rows=compile,matmul_256'])).toEqual({
      section: 'backends',
      opts: { backends: ['native'], keys: ['compile', 'matmul_256'], torch: true },
    });
  });

  test('a mistyped flag or value is an error, not a silent full run', () => {
    const err = (a: string[]) => {
      const r = benchFlags(a);
      return 'error' in r ? r.error : undefined;
    };
    expect(err(['--only', 'scalng'])).toMatch(/--only takes backends, native or scaling, not "scalng"/);
    expect(err(['--no-toch'])).toMatch(/unknown argument "--no-toch"/);
    expect(err(['--only'])).toMatch(/--only needs a value/);
    expect(err(['--only', '--no-torch'])).toMatch(/--only needs a value/);
    expect(err(['--rows', 'compile'])).toMatch(/go with --only/);
    expect(err(['--only', 'scaling', '--rows', 'compile'])).toMatch(/--rows goes with --only backends or native/);
  });
});
