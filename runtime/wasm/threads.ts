// Both cores for the WebAssembly backend: a pool of worker threads (Node's worker_threads, a browser's
// Worker) over shared memories. Each compiled program that runs threaded has one shared memory
// (threadsMemory.ts); every worker instantiates the same kernels over it (threadsWorker.ts), so a job is
// just "call function FN of memory KEY with these arguments" for each of its units, and every unit writes
// its own part of the memory. The caller takes units itself and waits only for the units a worker has
// actually claimed: a worker that is slow to wake (or still starting) finds nothing left, so a job never
// waits for a worker to arrive, and results are the same bits whichever thread runs which unit.
//
// Thread count: setWasmThreads(n) (library), else $DLM_WASM_THREADS, else DEFAULT_THREADS; read when a
// program is loaded (more than one: its memory is shared) and at every job (fewer threads are then used).
// Where no shared memory can be made (a browser page without cross-origin isolation) or no worker can be
// started, programs run on one thread, and that is said once. A worker's error is thrown from the job
// that met it; workers never keep a Node process alive (unref) and stop with disposeWasmThreads().
import { CONTROL_BYTES, GEN_MASK, GEN_SHIFT, MAX_ARITY, MAX_UNITS, MSG, SLOT as S, WORKER_SOURCE } from './threadsWorker.js';
import { sharedMemoryUnavailable } from './threadsMemory.js';

/** The thread count when neither setWasmThreads nor $DLM_WASM_THREADS says (see the README's measurements). */
export const DEFAULT_THREADS = 1;
const MAX_THREADS = 64;

let override: number | undefined;
let fromEnv: number | undefined;

/** The WebAssembly backend's thread count from now on (undefined: back to $DLM_WASM_THREADS, else the default). */
export const setWasmThreads = (n: number | undefined): void => {
  if (n !== undefined && !(Number.isInteger(n) && n >= 1 && n <= MAX_THREADS))
    throw new RangeError(`wasm threads must be an integer in 1..${MAX_THREADS}, not ${n}`);
  override = n;
};

/** The thread count asked for (setWasmThreads, else $DLM_WASM_THREADS, else DEFAULT_THREADS). */
export const wasmThreads = (): number => {
  if (override !== undefined) return override;
  if (fromEnv === undefined) {
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.['DLM_WASM_THREADS'];
    const n = env === undefined ? DEFAULT_THREADS : Number(env);
    fromEnv = Number.isInteger(n) && n >= 1 && n <= MAX_THREADS ? n : 1;
  }
  return fromEnv;
};

let noteSink: (text: string) => void = (t) => console.warn(t);
let noted = false;
/** Where the one note "threads unavailable, running on one" goes (the compiler points it at its notes). */
export const setWasmThreadNotes = (sink: (text: string) => void): void => {
  noteSink = sink;
};

interface WorkerHandle {
  post(m: unknown): void;
  terminate(): void;
}

type Spawn = (onError: (message: string) => void) => WorkerHandle;

interface NodeWorkerThreads {
  Worker: new (
    src: string,
    o: { eval: true },
  ) => { postMessage(m: unknown): void; terminate(): unknown; unref(): void; on(ev: string, f: (x: unknown) => void): void };
}

/** How to start a worker here, or why none can be started. */
const spawner = (): Spawn | string => {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown; versions?: { node?: string } } }).process;
  if (proc?.versions?.node) {
    const wt = proc.getBuiltinModule?.('node:worker_threads') as NodeWorkerThreads | undefined;
    if (!wt) return 'this Node has no process.getBuiltinModule (Node ≥ 20.16 needed for worker threads)';
    return (onError) => {
      const w = new wt.Worker(WORKER_SOURCE, { eval: true });
      w.on('error', (e) => onError(e instanceof Error ? (e.stack ?? e.message) : String(e)));
      w.on('message', (m) => onError((m as { message: string }).message));
      w.unref(); // after the listeners (adding one refs the worker again)
      return { post: (m) => w.postMessage(m), terminate: () => void w.terminate() };
    };
  }
  const g = globalThis as {
    Worker?: new (url: string) => { postMessage(m: unknown): void; terminate(): void; onerror: unknown; onmessage: unknown };
    Blob?: new (parts: string[], o: { type: string }) => unknown;
    URL?: { createObjectURL(b: unknown): string };
  };
  if (!g.Worker || !g.Blob || !g.URL) return 'this environment has no Worker';
  const url = g.URL.createObjectURL(new g.Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  const W = g.Worker;
  return (onError) => {
    const w = new W(url);
    w.onerror = (e: { message?: string }) => onError(e.message ?? 'a wasm worker failed');
    w.onmessage = (e: { data: { message: string } }) => onError(e.data.message);
    return { post: (m) => w.postMessage(m), terminate: () => w.terminate() };
  };
};

/** What a worker instantiates for one memory: modules in order (each may import an earlier one's exports as `kernels`). */
export interface Registration {
  /** Threads the memory has room for: workers 1 … slots − 1 instantiate it, later ones sit its jobs out. */
  readonly slots: number;
  readonly modules: readonly {
    readonly module: WebAssembly.Module;
    readonly math: readonly (readonly [string, string])[];
    /** Index of an earlier module whose exports this one imports as `kernels`. */
    readonly kernels?: number;
    /** Imported `env` globals that differ by thread: [base, stride] gives thread t base + t · stride. */
    readonly perThread?: Readonly<Record<string, readonly [number, number]>>;
  }[];
  /** The functions jobs name by index: [module index, export name]. */
  readonly fns: readonly (readonly [number, string])[];
}

/** The caller's spin waiting for workers' last units before it blocks (ms), and how long without progress is a hang. */
const SPIN_MS = 0.02;
const STALL_MS = 60_000;

class Pool {
  readonly control = new SharedArrayBuffer(CONTROL_BYTES);
  readonly ctrl = new Int32Array(this.control);
  private readonly workers: WorkerHandle[] = [];
  private readonly registered = new Map<number, { type: 'add'; key: number; memory: WebAssembly.Memory } & Registration>();
  private readonly forget = new FinalizationRegistry<number>((key) => this.drop(key));
  private nextKey = 1;
  private gen = 0;
  private canBlock = true;
  broken: string | undefined;
  constructor(private readonly spawn: Spawn) {}

  /** Starts workers until there are n − 1 (they start in the background; jobs use those that are ready). */
  grow(n: number): void {
    while (this.workers.length < n - 1) {
      const w = this.spawn((m) => {
        this.broken ??= m;
      });
      w.post({ type: 'init', control: this.control, id: this.workers.length + 1 });
      for (const r of this.registered.values()) w.post(r);
      this.workers.push(w);
    }
  }

  /** Makes `memory`'s functions available to every worker; `owner` going away drops them. */
  register(memory: WebAssembly.Memory, r: Registration, owner: object): number {
    const key = this.nextKey++;
    const m = { type: 'add' as const, key, memory, ...r };
    this.registered.set(key, m);
    for (const w of this.workers) w.post(m);
    this.forget.register(owner, key);
    return key;
  }

  private drop(key: number): void {
    this.registered.delete(key);
    for (const w of this.workers) w.post({ type: 'drop', key });
  }

  /** Workers that have started (they may not have instantiated every memory yet). */
  ready = (): number => Atomics.load(this.ctrl, S.READY);

  /**
   * Runs `units` units of function `fn` of memory `key`, unit u's arguments args[u·arity, (u+1)·arity),
   * on up to `threads` threads, the caller one of them (it runs its units through `local`).
   */
  run(key: number, fn: number, threads: number, units: number, arity: number, args: Int32Array, local: (...a: number[]) => void): void {
    if (this.broken !== undefined) throw new Error(`a WebAssembly worker thread failed: ${this.broken}`);
    if (units > MAX_UNITS || arity > MAX_ARITY) throw new RangeError('wasm threads: too many units or arguments for one job');
    const c = this.ctrl;
    c[S.UNITS] = units;
    c[S.KEY] = key;
    c[S.FN] = fn;
    c[S.ARITY] = arity;
    c[S.THREADS] = threads;
    c.set(args.subarray(0, units * arity), S.ARGS);
    Atomics.store(c, S.DONE, 0);
    Atomics.store(c, S.ERROR, 0);
    this.gen = (this.gen + 1) & GEN_MASK;
    Atomics.store(c, S.TICKET, this.gen << GEN_SHIFT);
    Atomics.notify(c, S.TICKET);
    stats.units += units;
    stats.jobs++;
    try {
      let t = Atomics.load(c, S.TICKET);
      while (t >>> GEN_SHIFT === this.gen && (t & 4095) < units) {
        if (Atomics.compareExchange(c, S.TICKET, t, t + 1) === t) {
          const a = (t & 4095) * arity;
          local(...args.subarray(a, a + arity));
          Atomics.add(c, S.DONE, 1);
          stats.mine++;
        }
        t = Atomics.load(c, S.TICKET);
      }
    } finally {
      this.wait(units);
    }
    if (Atomics.load(c, S.ERROR)) {
      const n = new Int32Array(this.control, MSG, 1)[0]!;
      const text = new TextDecoder().decode(new Uint8Array(this.control, MSG + 4, n).slice());
      throw new Error(`a WebAssembly worker thread failed: ${text}`);
    }
  }

  /** Until the units workers claimed are done: spin briefly, then block (where this thread may), a stall an error. */
  private wait(units: number): void {
    const c = this.ctrl;
    const t0 = performance.now();
    let last = -1,
      since = t0;
    for (let d = Atomics.load(c, S.DONE); d < units; d = Atomics.load(c, S.DONE)) {
      const now = performance.now();
      if (d !== last) [last, since] = [d, now];
      else if (now - since > STALL_MS) {
        this.broken = `no progress for ${STALL_MS / 1000} s on a job (${d} of ${units} units done)`;
        throw new Error(`a WebAssembly worker thread failed: ${this.broken}`);
      }
      if (now - t0 < SPIN_MS || !this.canBlock) continue;
      try {
        Atomics.wait(c, S.DONE, d, 1);
      } catch {
        this.canBlock = false; // a browser's main thread may not block: spin
      }
    }
  }

  stop(): void {
    Atomics.store(this.ctrl, S.STOP, 1);
    Atomics.add(this.ctrl, S.TICKET, 1 << GEN_SHIFT);
    Atomics.notify(this.ctrl, S.TICKET);
    for (const w of this.workers) w.terminate();
    this.workers.length = 0;
  }
}

let pool: Pool | undefined;
/** Jobs run on threads, their units, and the units the caller ran itself (the rest ran on workers). */
const stats = { jobs: 0, units: 0, mine: 0 };
let unavailable: string | undefined;

/** The pool with at least `threads` − 1 workers, or undefined (and the note, once) where none can run. */
const poolFor = (threads: number): Pool | undefined => {
  if (threads <= 1) return undefined;
  if (!pool && unavailable === undefined) {
    const s = sharedMemoryUnavailable();
    const spawn = s === undefined ? spawner() : s;
    if (typeof spawn === 'string') unavailable = spawn;
    else pool = new Pool(spawn);
  }
  if (!pool) {
    if (!noted) noteSink(`dlm: wasm threads: running on one thread, since ${unavailable}`);
    noted = true;
    return undefined;
  }
  pool.grow(threads);
  return pool;
};

/** A program's shared memory and how to run jobs on it. */
export interface Threaded {
  readonly memory: WebAssembly.Memory;
  /** Makes the functions jobs call available to the workers; owner: the object whose lifetime they share. */
  register(r: Registration, owner: object): void;
  /** Threads a job may use now (1: run it on the caller alone). */
  threads(): number;
  /** As Pool.run, on this memory. */
  run(fn: number, units: number, arity: number, args: Int32Array, local: (...a: number[]) => void): void;
}

/** A shared memory of `pages` pages with the pool behind it, or undefined to run on one thread. */
export const threadedMemory = (pages: number): Threaded | undefined => {
  const p = poolFor(wasmThreads());
  if (!p) return undefined;
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  let key = 0;
  return {
    memory,
    register: (r, owner) => {
      key = p.register(memory, r, owner);
    },
    threads: () => (key ? Math.min(wasmThreads(), 1 + p.ready()) : 1),
    run: (fn, units, arity, args, local) => p.run(key, fn, Math.min(wasmThreads(), 1 + p.ready()), units, arity, args, local),
  };
};

/**
 * Starts the workers for wasmThreads() threads and resolves when they have started (at once where threads
 * cannot run). Optional: programs loaded earlier run on the caller alone until then, with the same results.
 */
export const wasmThreadsReady = async (timeoutMs = 10_000): Promise<void> => {
  const n = wasmThreads();
  const p = poolFor(n);
  const t0 = Date.now();
  while (p && p.ready() < n - 1 && p.broken === undefined && Date.now() - t0 < timeoutMs) await new Promise((r) => setTimeout(r, 2));
  if (p?.broken !== undefined) throw new Error(`a WebAssembly worker thread failed: ${p.broken}`);
};

/** Stops every worker (a later threaded program starts new ones). */
export const disposeWasmThreads = (): void => {
  pool?.stop();
  pool = undefined;
};

/** Test and bench seam: the pool's readiness and error, and the jobs run on threads so far. */
export const wasmThreadStats = () => ({ ready: pool?.ready() ?? 0, broken: pool?.broken, ...stats });
