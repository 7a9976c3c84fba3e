// Local slots of a hand-built WebAssembly function (the runtime's kernels), by name.
import { I32, type Code, type ValType, type WasmFunction } from './encode.js';

/** Names local slots: parameters first (i32), then locals in order of declaration. */
export class Frame {
  private readonly types: ValType[] = [];
  private readonly names = new Map<string, number>();
  constructor(params: readonly string[]) {
    params.forEach((p) => {
      this.local(p, I32);
    });
  }
  local(name: string, t: ValType): number {
    this.names.set(name, this.types.length);
    this.types.push(t);
    return this.types.length - 1;
  }
  at(name: string): number {
    const i = this.names.get(name);
    if (i === undefined) throw new Error(`wasm kernel: no local ${name}`);
    return i;
  }
  fn(name: string, nParams: number, body: Code): WasmFunction {
    return { name, params: this.types.slice(0, nParams), locals: this.types.slice(nParams), body };
  }
}

export const range = (n: number): number[] => [...Array(n).keys()];
