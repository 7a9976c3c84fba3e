// Which code a specialized program runs as:
//   js      JavaScript loops only (float32 matmuls too)
//   wasm    the loop IR printed as one WebAssembly module (compiler/wasm/), SIMD matmuls in it (the default)
//   native  the loop IR printed as C, compiled by the system C compiler and called through koffi
//   auto    native when a C compiler and koffi work, otherwise wasm; says which once per process
import { forgetToolchain, nativeToolchain, type Toolchain } from '../../runtime/native/load.js';
import { setWasmThreadNotes } from '../../runtime/wasm/threads.js';

/** The native backend's threads for large matrix products from now on (undefined: $DLM_NATIVE_THREADS, else the cores, at most 4). */
export { setNativeThreads } from '../../runtime/native/load.js';

export const BACKENDS = ['native', 'wasm', 'js', 'auto'] as const;
export type BackendChoice = (typeof BACKENDS)[number];
export type Backend = Exclude<BackendChoice, 'auto'>;

export const isBackend = (s: string): s is BackendChoice => (BACKENDS as readonly string[]).includes(s);

/** Where notes about the backend choice go (the CLI points it at its stderr); default console.warn. */
let noteSink: (text: string) => void = (t) => console.warn(t);
export const setBackendNotes = (sink: (text: string) => void): void => {
  noteSink = sink;
  setWasmThreadNotes(sink);
};

let saidAuto = false;

/** Test seam: probe the toolchain again and say the next `auto` choice again. */
export const reprobeNative = (): void => {
  forgetToolchain();
  saidAuto = false;
};

/** The toolchain, or an Error naming why the native backend cannot run here. */
export const requireNative = (): Toolchain => {
  const t = nativeToolchain();
  if ('error' in t) throw new Error(`the native backend is unavailable: ${t.error}`);
  return t.ok;
};

export const resolveBackend = (choice: BackendChoice | undefined): Backend => {
  if (choice === undefined) return 'wasm';
  if (choice !== 'auto') return choice;
  const t = nativeToolchain();
  if (!saidAuto) {
    saidAuto = true;
    noteSink('ok' in t ? `dlm: backend auto: native (${t.ok.ccVersion}, koffi ${t.ok.koffiVersion})` : `dlm: backend auto: wasm, since ${t.error}`);
  }
  return 'ok' in t ? 'native' : 'wasm';
};

/** Whether the native backend can run here (for tests and the bench): undefined, or the reason not. */
export const nativeUnavailable = (): string | undefined => {
  const t = nativeToolchain();
  return 'error' in t ? t.error : undefined;
};
