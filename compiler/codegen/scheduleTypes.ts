// What a schedule is: kernels over named buffers, the temporaries and inputs they use, outputs,
// updates, guards and loop bodies — the contract between the scheduler (schedule.ts) and the passes
// after it (inplace.ts, plan.ts, module.ts, stats.ts).
import type { InputRole, Node } from '../ir/ir.js';
import type { Stmt } from '../loops/loops.js';

/** Inputs that persist between calls (parameters, running statistics, optimizer slots): with SIMD kernels they live in the module's memory. */
export const HOME_ROLES: ReadonlySet<InputRole> = new Set(['param', 'state']);

export interface Kernel {
  readonly name: string;
  readonly body: readonly Stmt[];
  /** Buffers the kernel writes (first) and reads. */
  readonly writes: readonly string[];
  readonly reads: readonly string[];
  readonly note: string;
}

/** `body`: the arena of loop body `subs[body]`, sized by the memory plan (plan.ts plans the body first); `size` is 0 here. */
export interface TempBuffer {
  readonly name: string;
  readonly size: number;
  readonly note: string;
  readonly body?: number;
}
export interface InputSlot {
  readonly name: string;
  readonly role: InputRole;
  readonly buf: string;
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly node: Node;
}

export interface Schedule {
  readonly kernels: readonly Kernel[];
  readonly temps: readonly TempBuffer[];
  readonly inputs: readonly InputSlot[];
  readonly outputs: readonly { readonly name: string; readonly buf: string; readonly shape: readonly number[] }[];
  /** New values of inputs; `inPlace` ones were computed directly into the input's array (codegen/inplace.ts). */
  readonly updates: readonly { readonly input: number; readonly buf: string; readonly inPlace?: boolean }[];
  readonly guards: readonly string[];
  /** Loop bodies (scan), each scheduled on its own and called from its scan's kernel. */
  readonly subs: readonly SubSchedule[];
}

/** A loop body (scan), scheduled as a program of its own; its buffers live in the parent's temp `arena`. */
export interface SubSchedule {
  readonly prefix: string;
  readonly schedule: Schedule;
  readonly arena: string;
}

/** Index of the last kernel that writes buffer `buf` (−1: none). */
export const lastWriter = (kernels: readonly Kernel[], buf: string): number => kernels.reduce((at, k, i) => (k.writes.includes(buf) ? i : at), -1);
