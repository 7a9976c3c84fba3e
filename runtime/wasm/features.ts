// What the WebAssembly engine supports beyond the SIMD proposal, tested once by validating tiny modules.
import { f32x4RelaxedMadd, module, v128Zero } from './encode.js';

let fma: boolean | undefined;

/**
 * Whether the engine has relaxed SIMD (f32x4.relaxed_madd): Chromium since 114, Node 20 behind
 * --experimental-wasm-relaxed-simd, later Node by default. DLM_WASM_FMA=0 in the environment turns it off.
 */
export const hasRelaxedSimd = (): boolean => {
  if (fma === undefined) {
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
    const body = [...f32x4RelaxedMadd(v128Zero, v128Zero, v128Zero), 0x1a]; // relaxed_madd(0, 0, 0); drop
    fma = env?.['DLM_WASM_FMA'] !== '0' && WebAssembly.validate(module([{ name: 'f', params: [], locals: [], body }]));
  }
  return fma;
};
