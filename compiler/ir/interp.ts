// The reference interpreter: runs an IrFunction over float64 NdArrays using each op's `eval`.
// It is the oracle for codegen, passes, constant folding and gradient checks.
import { setOwn } from '../../runtime/tensor.js';
import { InternalError } from '../diagnostics/diagnostic.js';
import { nd } from '../ops/ndarray.js';
import type { NdArray } from '../ops/op.js';
import { opDef } from '../ops/registry.js';
import { dimEval } from '../types/dims.js';
import { concreteShape, type DimEnv } from './bind.js';
import { CONST, INPUT, inputName, type IrFunction } from './ir.js';
import { readWindow, runScan } from './interpScan.js';
import { CUSTOM_VJP } from './custom.js';
import { SCAN, SCAN_OUT, SCAN_TYPE, scanInfo } from './scan.js';

export interface InterpResult {
  readonly outputs: Record<string, NdArray>;
  readonly values: Map<number, NdArray>;
  readonly updates: Map<number, NdArray>;
}

/** Round to float32 after every node when emulating the compiled f32 code. */
export const interpret = (f: IrFunction, inputs: Readonly<Record<string, NdArray>>, env: DimEnv): InterpResult => {
  const values = new Map<number, NdArray>();
  const scans = new Map<number, { results: NdArray[][]; reverse: boolean }>();
  for (const n of f.nodes) {
    if (n.op === SCAN) {
      scans.set(n.id, {
        results: runScan(
          n,
          n.inputs.map((i) => values.get(i)!),
          env,
          interpret,
        ),
        reverse: scanInfo(n).reverse,
      });
      values.set(n.id, nd([...SCAN_TYPE.shape] as number[]));
      continue;
    }
    if (n.op === SCAN_OUT) {
      const scan = scans.get(n.inputs[0]!)!;
      values.set(n.id, readWindow(n, scan.results, scan.reverse));
      continue;
    }
    if (n.op === CUSTOM_VJP) {
      values.set(n.id, values.get(n.inputs[0]!)!);
      continue;
    } // the function's value
    if (n.op === INPUT) {
      const x = inputs[inputName(n)];
      if (!x) throw new InternalError(`interpreter: missing input '${inputName(n)}'`);
      values.set(n.id, x);
      continue;
    }
    if (n.op === CONST) {
      const v = dimEval(n.attrs['value'] as number | string, env);
      if (v === undefined) throw new InternalError(`interpreter: unbound dim in constant %${n.id}`);
      values.set(n.id, nd([], Float64Array.of(v)));
      continue;
    }
    const def = opDef(n.op);
    if (!def) throw new InternalError(`interpreter: unknown op ${n.op}`);
    const ins = n.inputs.map((i) => values.get(i)!);
    values.set(n.id, def.eval(ins, n.attrs, { dtype: n.type.dtype, shape: concreteShape(n.type.shape, env) }));
  }
  const outputs: Record<string, NdArray> = {};
  for (const o of f.outputs) setOwn(outputs, o.name, values.get(o.id)!);
  const updates = new Map<number, NdArray>();
  for (const u of f.updates) updates.set(u.target, values.get(u.value)!);
  return { outputs, values, updates };
};
