// What a specialized program costs: kernels, loops, floating-point operations, and memory against the
// minimum a training step needs. Shown by `dlm compile --stats` and the benchmark.
//
// Memory model (bytes, float32):
//   peak    = parameters + state (optimizer slots, running statistics) + arena (every temporary, and
//             the copies of batch inputs SIMD kernels read, each living only as long as its reader)
//   minimum = parameters + gradients (one per parameter) + state + saved activations
// where saved activations are the forward values (not inputs, not views) that backward nodes read.
// The caller's own batch arrays are left out of both. Fusion can bring peak below this
// "minimum": a gradient consumed by its update in the same kernel is never stored.
import { concreteShape, type DimEnv } from '../ir/bind.js';
import { CONST, INPUT, inputRole, type IrFunction, type Node } from '../ir/ir.js';
import { SCAN, SCAN_OUT, scanInfo, scanLength } from '../ir/scan.js';
import { opDef } from '../ops/registry.js';
import type { MemoryPlan } from './plan.js';
import type { Schedule } from './scheduleTypes.js';

export interface ProgramStats {
  readonly kernels: number;
  readonly loops: number;
  readonly flops: number;
  readonly arenaBytes: number;
  readonly unplannedBytes: number;
  readonly livePeakBytes: number;
  readonly paramBytes: number;
  readonly stateBytes: number;
  readonly savedActivationBytes: number;
  readonly peakBytes: number;
  /** Only for programs that update parameters (training steps). */
  readonly minimumBytes?: number;
}

const F32 = 4;
const count = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);

/** Floating-point operations of one call, loop bodies counted once per iteration. */
export const programFlops = (f: IrFunction, env: DimEnv): number => {
  const shapes = new Map<number, number[]>();
  let total = 0;
  for (const n of f.nodes) {
    const shape = concreteShape(n.type.shape, env);
    shapes.set(n.id, shape);
    if (n.op === SCAN) {
      const info = scanInfo(n);
      total += scanLength(info, env) * programFlops(info.body, env);
      continue;
    }
    const def = opDef(n.op);
    if (!def) continue;
    const ins = n.inputs.map((i) => shapes.get(i) ?? []);
    total += def.flops ? def.flops(ins, shape, n.attrs) : def.kind === 'elementwise' ? count(shape) : def.kind === 'reduce' ? count(ins[0] ?? []) : 0;
  }
  return total;
};

/** Bytes of the forward values backward nodes read, each buffer once (views count as their source). */
const savedActivations = (f: IrFunction, env: DimEnv): number => {
  const byId = new Map(f.nodes.map((n) => [n.id, n]));
  const source = (n: Node): Node => {
    const def = opDef(n.op);
    return def?.kind === 'movement' && def.emit.kind === 'view' ? source(byId.get(n.inputs[0]!)!) : n;
  };
  const saved = new Set<Node>();
  for (const n of f.nodes) {
    if (!n.backward) continue;
    for (const i of n.inputs) {
      const src = source(byId.get(i)!);
      // what a forward loop stored per step (its carries, its matmul results) reaches backward as scan_out reads
      const fromForwardLoop = src.op === SCAN_OUT && !byId.get(src.inputs[0]!)!.backward;
      if ((!src.backward || fromForwardLoop) && src.op !== INPUT && src.op !== CONST) saved.add(src);
    }
  }
  return [...saved].reduce((p, n) => p + count(concreteShape(n.type.shape, env)) * F32, 0);
};

export const programStats = (f: IrFunction, env: DimEnv, s: Schedule, plan: MemoryPlan, source: string): ProgramStats => {
  const roleBytes = (role: string) =>
    f.nodes.filter((n) => n.op === INPUT && inputRole(n) === role).reduce((p, n) => p + count(concreteShape(n.type.shape, env)) * F32, 0);
  const paramBytes = roleBytes('param'),
    stateBytes = roleBytes('state');
  const arenaBytes = plan.arenaSize * F32;
  const savedActivationBytes = savedActivations(f, env);
  return {
    kernels: s.kernels.length + s.subs.reduce((p, b) => p + b.schedule.kernels.length, 0),
    loops: (source.match(/\bfor \(/g) ?? []).length,
    flops: programFlops(f, env),
    arenaBytes,
    unplannedBytes: plan.unplannedSize * F32,
    livePeakBytes: plan.peakLive * F32,
    paramBytes,
    stateBytes,
    savedActivationBytes,
    peakBytes: paramBytes + stateBytes + arenaBytes,
    ...(f.updates.length ? { minimumBytes: 2 * paramBytes + stateBytes + savedActivationBytes } : {}),
  };
};

const kib = (b: number) => `${(b / 1024).toFixed(b < 10240 ? 1 : 0)} KiB`;

export const formatStats = (st: ProgramStats): string => {
  const lines = [
    `kernels ${st.kernels}, loops ${st.loops}, ${st.flops >= 1e6 ? `${(st.flops / 1e6).toFixed(2)} MFLOP` : `${(st.flops / 1e3).toFixed(1)} kFLOP`} per call`,
    `arena ${kib(st.arenaBytes)} (${kib(st.unplannedBytes)} without reuse; largest live set ${kib(st.livePeakBytes)})`,
    `memory: parameters ${kib(st.paramBytes)} + state ${kib(st.stateBytes)} + arena ${kib(st.arenaBytes)} = peak ${kib(st.peakBytes)}`,
  ];
  if (st.minimumBytes !== undefined) {
    lines.push(
      `minimum: parameters + gradients ${kib(2 * st.paramBytes)} + state ${kib(st.stateBytes)} + ` +
        `saved activations ${kib(st.savedActivationBytes)} = ${kib(st.minimumBytes)}; peak / minimum ` +
        `= ${(st.peakBytes / st.minimumBytes).toFixed(2)}`,
    );
  }
  return lines.join('\n');
};
