// Timing: each system's workload runs for at least `minSeconds` per pass; bench/main.ts interleaves the
// passes of all systems (A, B, C, A, B, C, …) and reports the median, so drift hits every system alike.
import { setNativeThreads } from '../runtime/native/load.js';
import { setWasmThreads } from '../runtime/wasm/threads.js';

export type Workload = () => void;

const now = () => performance.now() / 1000;
/** This process's CPU seconds (user + system, every thread of it). */
const cpuNow = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
};

/** Seconds per call by `clock`, over one pass of at least minSeconds of it (the count of calls grows until it lasts). */
const timedPass = (f: Workload, minSeconds: number, clock: () => number): number => {
  let n = 1;
  for (;;) {
    const t0 = clock();
    for (let i = 0; i < n; i++) f();
    const dt = clock() - t0;
    if (dt >= minSeconds) return dt / n;
    n = Math.max(n * 2, Math.ceil((n * minSeconds * 1.2) / Math.max(dt, 1e-6)));
  }
};

/** Wall seconds per call, over one pass of at least minSeconds. */
export const pass = (f: Workload, minSeconds: number): number => timedPass(f, minSeconds, now);

/** CPU seconds per call of this process over one pass of at least minSeconds of CPU (one thread: what it costs whatever the load). */
export const cpuPass = (f: Workload, minSeconds: number): number => timedPass(f, minSeconds, cpuNow);

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** `f` with the native backend on `n` threads (it reads the count at every call). */
export const withThreads = <T>(n: number, f: () => T): T => {
  setNativeThreads(n);
  try {
    return f();
  } finally {
    setNativeThreads(undefined);
  }
};

/** `f` with the wasm backend on `n` threads (read when a program is loaded and at every product). */
export const withWasmThreads = <T>(n: number, f: () => T): T => {
  setWasmThreads(n);
  try {
    return f();
  } finally {
    setWasmThreads(undefined);
  }
};
