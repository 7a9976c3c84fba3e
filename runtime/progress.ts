// A training progress bar: redrawn in place on a terminal (at most 10 times a second), never wider
// than the terminal (a wrapped line cannot be redrawn with \r and would leave stale rows); on a log
// (not a TTY) one plain line at 0%, 25%, 50%, 75% and at the end, so CI logs stay short.
export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const fmt = (v: string | number): string => {
  if (typeof v === 'string') return v;
  if (Number.isInteger(v)) return Math.abs(v) >= 10000 ? `${(v / 1000).toFixed(1)}k` : String(v);
  return Math.abs(v) >= 1000 ? v.toFixed(0) : v.toPrecision(4);
};

export class ProgressBar {
  private readonly start = performance.now();
  private lastDraw = 0;
  private nextQuarter = 0;
  private readonly stream: ProgressStream;
  private readonly width: number;

  constructor(private readonly opts: { total: number; label: string; stream?: ProgressStream; width?: number }) {
    this.stream = opts.stream ?? process.stderr;
    this.width = opts.width ?? 24;
  }

  /**
   * The line in parts, most important first. It fits `columns` by shrinking the bar (to 8 cells), then
   * dropping the rate and ETA, then the metric fields from the last one, then cutting the label.
   */
  private line(done: number, fields: Record<string, string | number>, columns = Infinity): string {
    const frac = this.opts.total ? Math.min(1, done / this.opts.total) : 1;
    const secs = (performance.now() - this.start) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const eta = rate > 0 ? (this.opts.total - done) / rate : 0;
    const extras = Object.entries(fields).map(([k, v]) => `${k} ${fmt(v)}`);
    // The rate means little before a fraction of a second has passed.
    const finished = done >= this.opts.total;
    const speed = secs >= 0.2 || finished ? `  ${fmt(Math.round(rate))} samples/s` : '';
    const tail = finished ? `  ${secs.toFixed(1)}s` : speed ? `  ETA ${Math.ceil(eta)}s` : '';
    const compose = (width: number, nExtras: number, withSpeed: boolean): string => {
      const filled = Math.round(frac * width);
      const bar = width > 0 ? ` [${'█'.repeat(filled)}${'░'.repeat(width - filled)}]` : '';
      const ex = extras.slice(0, nExtras).join('  ');
      return `${this.opts.label}${bar} ${done}/${this.opts.total}${ex ? `  ${ex}` : ''}${withSpeed ? `${speed}${tail}` : finished ? tail : ''}`;
    };
    // One column is kept free: writing the last column makes some terminals wrap.
    const room = columns - 1;
    let text = compose(this.width, extras.length, true);
    for (let w = this.width; text.length > room && w > 8; w--) text = compose(w - 1, extras.length, true);
    if (text.length > room) text = compose(8, extras.length, false);
    for (let n = extras.length - 1; text.length > room && n >= 1; n--) text = compose(8, n, false);
    if (text.length > room) text = compose(0, Math.min(1, extras.length), false);
    return text.length > room ? text.slice(0, Math.max(0, room)) : text;
  }

  update(done: number, fields: Record<string, string | number> = {}): void {
    if (this.stream.isTTY) {
      const now = performance.now();
      if (now - this.lastDraw < 100 && done < this.opts.total) return;
      this.lastDraw = now;
      this.stream.write(`\r${this.line(done, fields, this.stream.columns || 80)}\x1b[K`);
      return;
    }
    const pct = this.opts.total ? done / this.opts.total : 1;
    if (pct >= this.nextQuarter && pct < 1) {
      this.stream.write(`${this.line(done, fields)}\n`);
      while (this.nextQuarter <= pct) this.nextQuarter += 0.25;
    }
  }

  finish(fields: Record<string, string | number> = {}): void {
    // The epoch's last line is never redrawn, so it keeps every field even if the terminal wraps it.
    const l = this.line(this.opts.total, fields);
    this.stream.write(this.stream.isTTY ? `\r${l}\x1b[K\n` : `${l}\n`);
  }
}
