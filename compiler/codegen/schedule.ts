// Optimized IR + concrete dims → kernels over named buffers, following the fusion plan (fusion.ts):
// every node's placement is decided there; here each node placed in a buffer becomes a kernel (at its
// own place in node order, or a `late` one just before the first kernel that reads it), views and
// loop results are located in memory, and outputs get buffers of their own. Nothing here decides fusion.
// The shared state is scheduleContext.ts; each placement's kernel is nodeKernels.ts.
import type { DimEnv } from '../ir/bind.js';
import { inputName, inputRole, type IrFunction } from '../ir/ir.js';
import { size } from '../ops/ndarray.js';
import { opDef } from '../ops/registry.js';
import { planFusion, type NodeId, type Placement } from './fusion.js';
import { copyKernel } from './kernels.js';
import { emitPlaced } from './nodeKernels.js';
import { contiguous, leafOf } from './placement.js';
import { scheduleContext } from './scheduleContext.js';
import type { Schedule } from './scheduleTypes.js';
import type { Addressing } from './simdOperands.js';
export { CODEGEN_STEPS, type CodegenStep } from './fusionRules.js';
export { HOME_ROLES, lastWriter, type InputSlot, type Kernel, type Schedule, type TempBuffer } from './scheduleTypes.js';

/**
 * `prefix` names the kernels and buffers of a loop body apart from its parent's. `addressing`: whether
 * every buffer has an address (WebAssembly, C), so no input is copied for a matmul kernel (simdOperands.ts).
 * `P`: the fusion plan of `f` (compiler/pipeline.ts makes it as its own phase; loop bodies plan their own here).
 */
export const schedule = (
  f: IrFunction,
  env: DimEnv,
  prefix = '',
  off: ReadonlySet<string> = new Set(),
  addressing: Addressing = 'js',
  P: ReadonlyMap<NodeId, Placement> = planFusion(f, env, off),
): Schedule => {
  const scheduleBody = (body: IrFunction, p: string) => schedule(body, env, p, off, addressing);
  const cx = scheduleContext({ f, env, prefix, off, addressing, P, scheduleBody }, emitPlaced);
  const { g, inputs, at, memory, locateView, temps, newTemp, addKernel, fresh } = cx;

  for (const n of f.nodes) {
    const p = P.get(n.id)!;
    if (p.k === 'input') {
      const buf = `in${inputs.length}`;
      inputs.push({ name: inputName(n), role: inputRole(n), buf, shape: g.shape(n.id), dtype: n.type.dtype, node: n });
      at.set(n.id, contiguous(buf, g.shape(n.id)));
    } else if (p.k === 'view' && !p.late) locateView(n.id, p.copySource);
    else if (opDef(n.op)?.emit.kind === 'contraction' && (p.k === 'epilogue' || p.k === 'buffer')) {
      for (const i of n.inputs) memory(i);
      if (p.k === 'buffer' && !p.late) memory(n.id);
    } else if (p.k === 'buffer' && !p.late) memory(n.id);
  }

  // Outputs and updates each get a contiguous buffer of their own that no input aliases.
  const owned = new Set<string>();
  const own = (id: NodeId): string => {
    let val = memory(id, true);
    const whole = temps.find((t) => t.name === val.buf)?.size === size(g.shape(id));
    if (val.buf.startsWith('in') || owned.has(val.buf) || !whole) {
      const shape = g.shape(id);
      const buf = newTemp(shape, `copy of %${id}`);
      addKernel(
        copyKernel(
          buf,
          shape,
          shape.map(() => 0),
          shape,
          leafOf(val, shape),
          fresh,
        ),
        buf,
        `copy of %${id}`,
      );
      val = contiguous(buf, shape);
    }
    owned.add(val.buf);
    return val.buf;
  };
  // A value listed under two output names (a model's first loss is also `loss`) is stored once.
  const outputBuf = new Map<number, string>();
  const ownOutput = (id: number): string => {
    if (!outputBuf.has(id)) outputBuf.set(id, own(id));
    return outputBuf.get(id)!;
  };
  const outputs = f.outputs.map((o) => ({ name: o.name, buf: ownOutput(o.id), shape: g.shape(o.id) }));
  const updates = f.updates.map((u) => ({ input: inputs.findIndex((s) => s.node.id === u.target), buf: own(u.value) }));
  const guards = (f.guards ?? []).map((gd) => outputs.find((o) => o.name === gd)!.buf);
  return { kernels: cx.kernels, temps, inputs, outputs, updates, guards, subs: cx.subs };
};
