// Log-log line charts as a self-contained SVG (no scripts, no external resources, no dependency), for
// the bench's scaling curves: panels side by side, each with both axes logarithmic, ticks and grid
// lines, one line and marker shape per series, a legend, and a title. Only validated numbers reach the
// document: every coordinate is checked finite before it is printed, points that cannot go on a log
// axis (≤ 0, NaN, ±∞) are left out (the line breaks there), and every text is XML-escaped.

export interface Point {
  readonly x: number;
  readonly y: number | undefined;
}
export interface Series {
  readonly name: string;
  readonly points: readonly Point[];
  /** Drawn dashed (the two-thread variant of a system, say). */
  readonly dashed?: boolean;
  /** Index into the palette and marker shapes, so a system keeps its look in every panel (default: its position). */
  readonly style?: number;
}
export interface Panel {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  /** Where to put x ticks (default: decades and their 2× and 5×); the data's own x values read best. */
  readonly xTicks?: readonly number[];
  readonly series: readonly Series[];
}
export interface Chart {
  readonly title: string;
  /** A second title line (machine, load, date). */
  readonly subtitle?: string;
  readonly panels: readonly Panel[];
}

const PW = 460,
  PH = 320,
  LEFT = 64,
  RIGHT = 14,
  BOTTOM = 44,
  HEAD = 44,
  LEGEND_ROW = 14;
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

/** Text as XML character data or attribute value: the five special characters as entities, control characters dropped. */
export const escapeXml = (s: string): string =>
  s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '').replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A coordinate for the document: a finite number with one decimal, or an Error (never "NaN" in the SVG). */
const num = (v: number): string => {
  if (!Number.isFinite(v)) throw new Error(`svg: non-finite coordinate ${v}`);
  return (Math.round(v * 10) / 10).toString();
};

const plottable = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v) && v > 0;

/** Ticks of a log axis over [lo, hi]: the powers of ten inside, with their 2× and 5× when fewer than three decades are spanned. */
export const logTicks = (lo: number, hi: number): number[] => {
  if (!(plottable(lo) && plottable(hi) && hi >= lo)) return [];
  const k0 = Math.floor(Math.log10(lo) + 1e-9),
    k1 = Math.ceil(Math.log10(hi) - 1e-9);
  const mults = k1 - k0 < 3 ? [1, 2, 5] : [1];
  const out: number[] = [];
  for (let k = k0; k <= k1; k++)
    for (const m of mults) {
      const v = Number((m * 10 ** k).toPrecision(12));
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
    }
  return out;
};

/** A tick label: 1, 20, 500, 2k, 10k, 1.5M, 3G; 0.5, 0.02 below one. */
export const tickLabel = (v: number): string => {
  const units: [number, string][] = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [s, u] of units) if (Math.abs(v) >= s) return `${Number((v / s).toPrecision(3))}${u}`;
  return String(Number(v.toPrecision(3)));
};

/**
 * The range of an axis: the data's widened to the enclosing powers of ten (so that decade ticks frame it),
 * or with `tight`, only by 5% of its span on a log scale each side (the x axis, ticked at the data's own x).
 */
const logRange = (vs: readonly number[], tight = false): [number, number] => {
  let lo = vs.reduce((a, b) => Math.min(a, b)),
    hi = vs.reduce((a, b) => Math.max(a, b));
  if (tight) {
    const pad = 10 ** Math.max(0.05 * Math.log10(hi / lo), 0.05);
    return [lo / pad, hi * pad];
  }
  lo = 10 ** Math.floor(Math.log10(lo) + 1e-9);
  hi = 10 ** Math.ceil(Math.log10(hi) - 1e-9);
  if (hi <= lo) hi = lo * 10;
  return [lo, hi];
};

/** Marker `shape` (0 circle, 1 square, 2 triangle, 3 diamond, then again) centred on (x, y). */
const marker = (shape: number, x: number, y: number, color: string): string => {
  const r = 3.5;
  switch (shape % 4) {
    case 0:
      return `<circle cx="${num(x)}" cy="${num(y)}" r="${r}" fill="${color}"/>`;
    case 1:
      return `<rect x="${num(x - r)}" y="${num(y - r)}" width="${2 * r}" height="${2 * r}" fill="${color}"/>`;
    case 2:
      return `<polygon points="${num(x)},${num(y - r - 1)} ${num(x - r - 0.5)},${num(y + r)} ${num(x + r + 0.5)},${num(y + r)}" fill="${color}"/>`;
    default:
      return (
        `<polygon points="${num(x)},${num(y - r - 1)} ${num(x + r + 1)},${num(y)} ` +
        `${num(x)},${num(y + r + 1)} ${num(x - r - 1)},${num(y)}" fill="${color}"/>`
      );
  }
};

const styleOf = (s: Series, i: number) => {
  const k = s.style ?? i;
  return { color: COLORS[k % COLORS.length]!, shape: k, dash: s.dashed ? ' stroke-dasharray="6 3"' : '' };
};

/** One panel at the origin (the caller translates it). */
const panelSvg = (p: Panel): string => {
  const xs = p.series.flatMap((s) => s.points.filter((q) => plottable(q.y) && plottable(q.x)).map((q) => q.x));
  const ys = p.series.flatMap((s) => s.points.map((q) => q.y).filter(plottable));
  // the plot starts under the legend's rows (three entries a row)
  const TOP = 34 + Math.ceil(p.series.length / 3) * LEGEND_ROW;
  const iw = PW - LEFT - RIGHT,
    ih = PH - TOP - BOTTOM;
  const head = `<text x="${PW / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(p.title)}</text>`;
  const frame = `<rect x="${LEFT}" y="${TOP}" width="${iw}" height="${ih}" fill="none" stroke="#999"/>`;
  const labels =
    `<text x="${LEFT + iw / 2}" y="${PH - 8}" text-anchor="middle" font-size="11" fill="#333">${escapeXml(p.xLabel)}</text>` +
    `<text transform="translate(14,${TOP + ih / 2}) rotate(-90)" text-anchor="middle" font-size="11" fill="#333">${escapeXml(p.yLabel)}</text>`;
  if (xs.length === 0 || ys.length === 0)
    return `${head}${frame}${labels}<text x="${LEFT + iw / 2}" y="${TOP + ih / 2}" text-anchor="middle" font-size="12" fill="#777">no data</text>`;
  const given = p.xTicks?.filter(plottable) ?? [];
  const [x0, x1] = given.length ? logRange([...xs, ...given], true) : logRange(xs);
  const [y0, y1] = logRange(ys);
  // log scales: position = (log v − log lo) / (log hi − log lo) of the inner width or height
  const px = (v: number) => LEFT + ((Math.log10(v) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0))) * iw;
  const py = (v: number) => TOP + ih - ((Math.log10(v) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0))) * ih;
  // the given x ticks are the data's own x values: labelled in full (1024, not 1.02k)
  const xLabel = (v: number) => (given.length && Number.isInteger(v) && v < 1e5 ? String(v) : tickLabel(v));
  const xt = (given.length ? given : logTicks(x0, x1))
    .map((v) => {
      const x = num(px(v));
      return (
        `<line class="xtick" x1="${x}" x2="${x}" y1="${TOP}" y2="${TOP + ih}" stroke="#eee"/>` +
        `<line x1="${x}" x2="${x}" y1="${TOP + ih}" y2="${TOP + ih + 4}" stroke="#999"/>` +
        `<text class="xlabel" x="${x}" y="${TOP + ih + 16}" text-anchor="middle" font-size="10" fill="#555">${escapeXml(xLabel(v))}</text>`
      );
    })
    .join('');
  const yt = logTicks(y0, y1)
    .map((v) => {
      const y = num(py(v));
      return (
        `<line class="ytick" x1="${LEFT}" x2="${LEFT + iw}" y1="${y}" y2="${y}" stroke="#eee"/>` +
        `<line x1="${LEFT - 4}" x2="${LEFT}" y1="${y}" y2="${y}" stroke="#999"/>` +
        `<text class="ylabel" x="${LEFT - 6}" y="${num(py(v) + 3)}" text-anchor="end" font-size="10" fill="#555">${escapeXml(tickLabel(v))}</text>`
      );
    })
    .join('');
  const lines = p.series
    .map((s, i) => {
      const { color, shape, dash } = styleOf(s, i);
      // runs of consecutive plottable points: a missing point breaks the line rather than bridging it
      const runs: Point[][] = [[]];
      for (const q of s.points) {
        if (plottable(q.x) && plottable(q.y)) runs[runs.length - 1]!.push(q);
        else if (runs[runs.length - 1]!.length) runs.push([]);
      }
      const paths = runs
        .filter((r) => r.length > 1)
        .map(
          (r) => `<polyline fill="none" stroke="${color}" stroke-width="1.8"${dash} points="${r.map((q) => `${num(px(q.x))},${num(py(q.y!))}`).join(' ')}"/>`,
        )
        .join('');
      const marks = runs.flat().map((q) => marker(shape, px(q.x), py(q.y!), color));
      return `<g class="series">${paths}${marks.join('')}</g>`;
    })
    .join('');
  // the legend above the plot, rows of up to three entries
  const legend = p.series
    .map((s, i) => {
      const { color, shape, dash } = styleOf(s, i);
      const x = LEFT - 20 + (i % 3) * 128,
        y = 34 + Math.floor(i / 3) * LEGEND_ROW;
      return (
        `<g class="legend"><line x1="${x}" x2="${x + 18}" y1="${num(y - 4)}" y2="${num(y - 4)}" stroke="${color}" stroke-width="1.8"${dash}/>` +
        `${marker(shape, x + 9, y - 4, color)}<text x="${x + 22}" y="${num(y)}" font-size="10" fill="#222">${escapeXml(s.name)}</text></g>`
      );
    })
    .join('');
  return `${head}${xt}${yt}${frame}${labels}${legend}${lines}`;
};

/** The whole chart: the title (and subtitle) over the panels side by side. */
export const logLogSvg = (c: Chart): string => {
  const w = Math.max(1, c.panels.length) * PW,
    h = HEAD + PH;
  const panels = c.panels.map((p, i) => `<g class="panel" transform="translate(${i * PW},${HEAD})">${panelSvg(p)}</g>`).join('');
  const sub = c.subtitle ? `<text x="${w / 2}" y="36" text-anchor="middle" font-size="11" fill="#555">${escapeXml(c.subtitle)}</text>` : '';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif">` +
    `<title>${escapeXml(c.title)}</title><rect width="${w}" height="${h}" fill="#fff"/>` +
    `<text x="${w / 2}" y="18" text-anchor="middle" font-size="15">${escapeXml(c.title)}</text>${sub}${panels}</svg>\n`
  );
};
