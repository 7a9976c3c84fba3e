// Training curves as a self-contained SVG (no scripts, no external resources): small multiples that
// share the epoch axis — loss and accuracy (train vs validation), then each named term of a composite
// loss in a panel of its own (a KL term of 0.02 beside a loss of 90 would be a flat line on one axis).
// Every panel has y ticks with grid lines and x ticks at epochs (at most about ten labels).
import type { EpochReport } from '../api/fit.js';

const W = 360,
  H = 240,
  LEFT = 48,
  RIGHT = 12,
  TOP = 36,
  BOTTOM = 34;
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];

interface Series {
  readonly name: string;
  readonly values: readonly (number | undefined)[];
}

const escapeXml = (s: string): string => s.replace(/[<>&"']/g, '');

/** Round tick values covering [lo, hi]: steps of 1, 2 or 5 × 10ᵏ, about `n` of them. */
export const niceTicks = (lo: number, hi: number, n = 5): number[] => {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n,
    mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
};

/** Epoch numbers to label: every epoch up to 10, else a round step. */
export const epochTicks = (n: number): number[] => {
  if (n <= 10) return Array.from({ length: n }, (_, i) => i + 1);
  const step = niceTicks(0, n, 8)[1]! - niceTicks(0, n, 8)[0]!;
  return [1, ...Array.from({ length: Math.floor(n / step) }, (_, i) => (i + 1) * step).filter((e) => e > 1 && e <= n)];
};

const fmt = (v: number): string => (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(1) : String(Number(v.toPrecision(3))));

const panel = (title: string, series: readonly Series[], epochs: number): string => {
  const all = series.flatMap((s) => s.values).filter((v): v is number => v !== undefined && Number.isFinite(v));
  if (all.length === 0) return '';
  let lo = all.reduce((a, b) => Math.min(a, b)),
    hi = all.reduce((a, b) => Math.max(a, b));
  if (hi === lo) {
    lo -= Math.abs(lo) * 0.1 || 1;
    hi += Math.abs(hi) * 0.1 || 1;
  }
  const yt = niceTicks(lo, hi);
  lo = Math.min(lo, yt[0]!);
  hi = Math.max(hi, yt[yt.length - 1]!);
  const iw = W - LEFT - RIGHT,
    ih = H - TOP - BOTTOM;
  const px = (e: number) => LEFT + (epochs > 1 ? ((e - 1) / (epochs - 1)) * iw : iw / 2);
  const py = (v: number) => TOP + ih - ((v - lo) / (hi - lo)) * ih;
  const grid = yt
    .map(
      (v) =>
        `<line x1="${LEFT}" x2="${LEFT + iw}" y1="${py(v).toFixed(1)}" y2="${py(v).toFixed(1)}" stroke="#eee"/>` +
        `<text x="${LEFT - 4}" y="${(py(v) + 3).toFixed(1)}" text-anchor="end" font-size="10" fill="#555">${fmt(v)}</text>`,
    )
    .join('');
  const xt = epochTicks(epochs)
    .map(
      (e) =>
        `<line x1="${px(e).toFixed(1)}" x2="${px(e).toFixed(1)}" y1="${TOP}" y2="${TOP + ih}" stroke="#f3f3f3"/>` +
        `<line x1="${px(e).toFixed(1)}" x2="${px(e).toFixed(1)}" y1="${TOP + ih}" y2="${TOP + ih + 4}" stroke="#999"/>` +
        `<text x="${px(e).toFixed(1)}" y="${TOP + ih + 15}" text-anchor="middle" font-size="10" fill="#555">${e}</text>`,
    )
    .join('');
  const lines = series
    .map((s, i) => {
      const pts = s.values.map((v, k) => (v === undefined || !Number.isFinite(v) ? '' : `${px(k + 1).toFixed(1)},${py(v).toFixed(1)}`)).filter(Boolean);
      const color = COLORS[i % COLORS.length]!;
      const dots = pts.length === 1 ? `<circle cx="${pts[0]!.split(',')[0]}" cy="${pts[0]!.split(',')[1]}" r="3" fill="${color}"/>` : '';
      return pts.length ? `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.join(' ')}"/>${dots}` : '';
    })
    .join('');
  const legend = series
    .map((s, i) => `<text x="${LEFT + i * 86}" y="${TOP - 8}" fill="${COLORS[i % COLORS.length]}" font-size="11">${escapeXml(s.name)}</text>`)
    .join('');
  return (
    `<g><text x="${W / 2}" y="14" text-anchor="middle" font-size="13">${escapeXml(title)}</text>` +
    `${grid}${xt}<rect x="${LEFT}" y="${TOP}" width="${iw}" height="${ih}" fill="none" stroke="#bbb"/>${legend}${lines}` +
    `<text x="${LEFT + iw / 2}" y="${H - 4}" text-anchor="middle" font-size="11" fill="#555">epoch</text></g>`
  );
};

export const curvesSvg = (title: string, epochs: readonly EpochReport[]): string => {
  const n = epochs.length;
  const terms = [...new Set(epochs.flatMap((e) => Object.keys(e.terms ?? {})))];
  // first row: loss and accuracy; second row: one panel per loss term, each on its own axis
  const rows = [
    [
      panel(
        'loss',
        [
          { name: 'train', values: epochs.map((e) => e.trainLoss) },
          { name: 'validation', values: epochs.map((e) => e.valLoss) },
        ],
        n,
      ),
      panel(
        'accuracy',
        [
          { name: 'train', values: epochs.map((e) => e.trainAccuracy) },
          { name: 'validation', values: epochs.map((e) => e.valAccuracy) },
        ],
        n,
      ),
    ].filter(Boolean),
    terms.map((t) => panel(`term: ${t}`, [{ name: t, values: epochs.map((e) => e.terms?.[t]) }], n)).filter(Boolean),
  ].filter((r) => r.length);
  const placed = rows.flatMap((r, y) => r.map((p, x) => p.replace(/^<g>/, `<g transform="translate(${x * W},${y * H})">`)));
  const cols = Math.max(1, ...rows.map((r) => r.length));
  const safe = escapeXml(title);
  const body = placed.length
    ? placed.join('')
    : `<text x="${W / 2}" y="${H / 2}" text-anchor="middle" font-size="13" fill="#555">no completed epoch yet</text>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${cols * W}" height="${Math.max(1, rows.length) * H}` +
    `" font-family="sans-serif"><title>${safe}</title>${body}</svg>\n`
  );
};
