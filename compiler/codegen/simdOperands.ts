// Operands of the WebAssembly SIMD matmul kernels must be in the module's memory: arena temps and
// parameter/state inputs are (module.ts simdHomes); a batch input is copied into the arena for the one
// kernel that reads it, so the copy lives no longer than that kernel (a matmul's A operand is instead
// copied a panel of rows at a time by the kernel: ops/matmulSimd.ts). A loop body's inputs are all in
// memory (their scan passes arena buffers, homes, or such copies); in C every buffer has an address.
import type { Stmt } from '../loops/loops.js';
import { contiguousStrides } from '../ops/ndarray.js';
import { copyKernel } from './kernels.js';
import type { Located } from './placement.js';
import { HOME_ROLES, type InputSlot } from './scheduleTypes.js';

/**
 * Which buffers have a byte address: `js` only the arena and the homes (a batch input is copied for a
 * SIMD kernel), `wasm` and `native` every buffer (one memory; C pointers), and `native` also has the C
 * kernels' contracts (mm_strided, whole products per epilogue block).
 */
export type Addressing = 'js' | 'wasm' | 'native';

export interface SimdContext {
  /** SIMD kernels not switched off (and not float64). */
  readonly on: boolean;
  readonly addressing: Addressing;
  readonly loopBody: boolean;
  readonly inputs: readonly InputSlot[];
  newTemp(shape: readonly number[], note: string): string;
  addKernel(body: Stmt[], writes: string, note: string): void;
  fresh(hint: string): string;
}

/** A native fused epilogue's product scratch, in elements (128 KiB): the C kernels pack B once per call, so they want whole products. */
const NATIVE_ROW_BUDGET = 1 << 15;
/**
 * The wasm backend's (32 KiB, within L1 beside a panel of B): whole products of small ones (LeNet's
 * 6 × 784 convolution is one call per image, not a 4-row and a 2-row call each reading the patches).
 */
const WASM_ROW_BUDGET = 1 << 13;

export const simdOperands = (c: SimdContext) => {
  const inMemory = (buf: string): boolean => {
    const slot = c.inputs.find((x) => x.buf === buf);
    return c.addressing !== 'js' || !slot || c.loopBody || HOME_ROLES.has(slot.role);
  };
  return {
    /** The SIMD arguments of a float32 contraction reading `a` (undefined: scalar loops). */
    kernel: (float: boolean, a: Located, note: string) =>
      c.on && float
        ? {
            scratch: (n: number) => c.newTemp([n], `scratch of ${note}`),
            copyA: !inMemory(a.buf),
            ...(c.addressing === 'native' ? { rowBudget: NATIVE_ROW_BUDGET, anyStrides: true, foldBatch: true } : {}),
            ...(c.addressing === 'wasm' ? { rowBudget: WASM_ROW_BUDGET } : {}),
          }
        : undefined,
    /** `l`, or the same view of a copy of its batch input in the arena. */
    addressable: (l: Located): Located => {
      const slot = c.inputs.find((x) => x.buf === l.buf);
      if (!c.on || !slot || slot.dtype !== 'f32' || inMemory(l.buf)) return l; // integers never reach a SIMD kernel
      const buf = c.newTemp(slot.shape, `copy of input ${slot.name} for a SIMD kernel`);
      const whole = { buf: slot.buf, offset: 0, strides: contiguousStrides(slot.shape) };
      c.addKernel(
        copyKernel(
          buf,
          slot.shape,
          slot.shape.map(() => 0),
          slot.shape,
          whole,
          c.fresh,
        ),
        buf,
        `copy of input ${slot.name} into WebAssembly memory`,
      );
      return { ...l, buf };
    },
  };
};
