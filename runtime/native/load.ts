// The native backend's runtime: compiles a module's C source with the system C compiler into a shared
// object cached on disk by content hash, loads it with koffi (an FFI library with prebuilt binaries in
// its npm package) and returns the same CompiledModule the JavaScript modules give (runtime/compiled.ts).
//
// Cache: $DLM_CACHE_DIR, else $XDG_CACHE_HOME/dlm, else ~/.cache/dlm; objects under native/<sha256>.so,
// the hash over the source, the compiler's identity, its flags and the kernels' objects (build.ts
// compiles, in a private temporary directory, and writes through the one atomic writer).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, homedir } from 'node:os';
import { join } from 'node:path';
import type { CompiledModule, Precision } from '../compiled.js';
import type { FloatArray, TensorData } from '../tensor.js';
import { buildShared, LINK_KEY } from './build.js';
import { kernelParts } from './kernelsC.js';

/**
 * Flags: -ffast-math for vectorized reductions and libm vector functions, but NaN and ∞ kept meaningful;
 * -pthread for the kernels' thread pool (runtime/native/poolC.ts; no OpenMP).
 */
const FLAGS: readonly string[] = ['-O3', '-march=native', '-ffast-math', '-fno-finite-math-only', '-fPIC', '-std=gnu11', '-w', '-pthread'];

/** Set by setNativeThreads (the library option), else $DLM_NATIVE_THREADS (read once), else the cores (at most 4). */
let threadsOverride: number | undefined;
let threadsFromEnv: number | undefined;

/** The thread count of native calls from now on (undefined: back to $DLM_NATIVE_THREADS, else the default). */
export const setNativeThreads = (n: number | undefined): void => {
  if (n !== undefined && !(Number.isInteger(n) && n >= 1 && n <= 256)) throw new RangeError(`native threads must be an integer in 1..256, not ${n}`);
  threadsOverride = n;
};

/**
 * Threads for large matrix products (≥ 2²⁰ multiply-adds; each output element is still summed in one
 * order by one thread, so results do not depend on the count), read at every call: setNativeThreads,
 * else $DLM_NATIVE_THREADS, else every core up to 4 (smaller products, and products with fewer column
 * panels than threads, use fewer). Objects are the same for every count (the kernels' pool, poolC.ts).
 */
export const nativeThreads = (): number => {
  if (threadsOverride !== undefined) return threadsOverride;
  if (threadsFromEnv === undefined) {
    const n = Number(process.env['DLM_NATIVE_THREADS'] ?? Math.min(4, availableParallelism()));
    threadsFromEnv = Number.isInteger(n) && n >= 1 && n <= 256 ? n : 1;
  }
  return threadsFromEnv;
};

interface Koffi {
  load(path: string): { func(signature: string): (...args: unknown[]) => unknown };
  version?: string;
}

export interface Toolchain {
  readonly cc: string;
  /** The compiler's first --version line, part of every cache key. */
  readonly ccVersion: string;
  readonly koffi: Koffi;
  readonly koffiVersion: string;
}

let probed: { ok: Toolchain } | { error: string } | undefined;

/** Test seam: probe again on next use (after changing $CC). */
export const forgetToolchain = (): void => {
  probed = undefined;
};

/** The C compiler ($CC, else cc) and koffi, or why the native backend is unavailable (probed once). */
export const nativeToolchain = (): { ok: Toolchain } | { error: string } => {
  if (probed) return probed;
  const cc = process.env['CC'] || 'cc';
  let ccVersion: string;
  try {
    ccVersion = execFileSync(cc, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 })
      .split('\n')[0]!
      .trim();
  } catch (e) {
    probed = { error: `no C compiler: '${cc} --version' failed (${(e as Error).message.split('\n')[0]})` };
    return probed;
  }
  let koffi: Koffi;
  try {
    koffi = createRequire(import.meta.url)('koffi') as Koffi;
  } catch (e) {
    probed = { error: `the koffi FFI library does not load (${(e as Error).message.split('\n')[0]}); install it with npm install koffi` };
    return probed;
  }
  probed = { ok: { cc, ccVersion, koffi, koffiVersion: typeof koffi.version === 'string' ? koffi.version : 'unknown' } };
  return probed;
};

export const nativeCacheDir = (): string => {
  const env = process.env;
  if (env['DLM_CACHE_DIR']) return join(env['DLM_CACHE_DIR'], 'native');
  return join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'dlm', 'native');
};

const hashOf = (tc: Toolchain, flags: readonly string[], source: string): string =>
  createHash('sha256').update(tc.ccVersion).update('\0').update(flags.join(' ')).update('\0').update(source).digest('hex');

/**
 * Linked without -ffast-math: with it gcc links crtfastmath.o into the shared object, whose constructor
 * sets flush-to-zero and denormals-are-zero in the loading thread, Node's main thread, so JavaScript (and
 * the other backends) would compute 5e-324 / 2 … 1e-310 · 1 as 0 once any native module had loaded.
 */
const linkFlagsOf = (flags: readonly string[]): readonly string[] => flags.filter((f) => f !== '-ffast-math');

export interface NativeObject {
  readonly path: string;
  readonly cached: boolean;
  readonly ms: number;
}

/**
 * The shared object for `source`: from the cache, or compiled now (and then cached) together with the
 * kernels' parts not cached yet (runtime/native/build.ts).
 */
export const compileC = (tc: Toolchain, source: string): NativeObject => {
  const t0 = performance.now();
  const dir = nativeCacheDir();
  const flags = FLAGS;
  const parts = kernelParts().map((src) => ({ source: src, flags, out: join(dir, `kernels-${hashOf(tc, flags, src)}.o`) }));
  const path = join(dir, `${hashOf(tc, [...flags, LINK_KEY], [source, ...parts.map((p) => p.out)].join('\0'))}.so`);
  if (existsSync(path)) return { path, cached: true, ms: performance.now() - t0 };
  const missing = parts.filter((p) => !existsSync(p.out));
  buildShared(
    tc.cc,
    [...missing, { source, flags }],
    parts.filter((p) => !missing.includes(p)).map((p) => p.out),
    path,
    linkFlagsOf(flags),
  );
  return { path, cached: false, ms: performance.now() - t0 };
};

export interface NativeLayout {
  readonly arenaSize: number;
  readonly inputs: number;
  /** Inputs the module writes (parameters, state): a converted copy is written back after a call. */
  readonly updated: readonly number[];
  readonly buffers: readonly { readonly name: string; readonly offset: number; readonly size: number }[];
}

/**
 * Loads a compiled object as a CompiledModule. Inputs already of the module's float type are passed
 * by address (koffi hands C a pointer to a typed array's memory for the call); others (Int32Array
 * labels, a float64 array given to a float32 module) are converted into a scratch array first.
 */
export const instantiateNative = (tc: Toolchain, obj: NativeObject, entry: string, precision: Precision, layout: NativeLayout): CompiledModule => {
  const lib = tc.koffi.load(obj.path);
  const params = ['int threads', 'void *arena', ...Array.from({ length: layout.inputs }, (_, i) => `void *in${i}`)];
  const call = lib.func(`int ${entry}(${params.join(', ')})`);
  const Real = precision === 'f64' ? Float64Array : Float32Array;
  const arena: FloatArray = new Real(Math.max(1, layout.arenaSize));
  const buffers: Record<string, FloatArray> = Object.create(null) as Record<string, FloatArray>;
  for (const b of layout.buffers) buffers[b.name] = arena.subarray(b.offset, b.offset + b.size);
  const scratch: (FloatArray | undefined)[] = [];
  const updated = new Set(layout.updated);
  const args: unknown[] = new Array(layout.inputs + 2);
  args[1] = arena;
  const run = (ins: readonly TensorData[]): boolean => {
    const converted: number[] = [];
    for (let i = 0; i < layout.inputs; i++) {
      const x = ins[i]!;
      if (x instanceof Real) {
        args[i + 2] = x;
        continue;
      }
      let s = scratch[i];
      if (!s || s.length !== x.length) s = scratch[i] = new Real(x.length);
      s.set(x);
      args[i + 2] = s;
      converted.push(i);
    }
    args[0] = nativeThreads();
    const ok = call(...args) === 1;
    for (const i of converted) if (updated.has(i)) (ins[i] as FloatArray).set(scratch[i]!);
    return ok;
  };
  return { run, buffers, arena, homes: [] };
};
