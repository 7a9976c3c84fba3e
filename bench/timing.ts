// Timing: each system's workload runs for at least `minSeconds` per pass; bench/main.ts interleaves the
// passes of all systems (A, B, C, A, B, C, …) and reports the median, so drift hits every system alike.
export type Workload = () => void;

const now = () => performance.now() / 1000;

/** Seconds per call, over one pass of at least minSeconds. */
export const pass = (f: Workload, minSeconds: number): number => {
  let n = 1;
  for (;;) {
    const t0 = now();
    for (let i = 0; i < n; i++) f();
    const dt = now() - t0;
    if (dt >= minSeconds) return dt / n;
    n = Math.max(n * 2, Math.ceil((n * minSeconds * 1.2) / Math.max(dt, 1e-6)));
  }
};

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
