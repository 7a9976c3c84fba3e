// IR invariants, checked after every pass in tests: SSA order, known ops, arity, attributes of the types
// the op declares (ops/attrs.ts), and that each node's stored type is what its op's shape rule gives. A failure is a compiler bug (InternalError with excerpt).
import { InternalError } from '../diagnostics/diagnostic.js';
import { attrsProblem } from '../ops/attrs.js';
import { opDef } from '../ops/registry.js';
import { isShapeError } from '../types/shapes.js';
import { fmtType, sameType } from '../types/types.js';
import { CONST, INPUT, type IrFunction } from './ir.js';
import { printNodes } from './print.js';
import { scanProblem } from './verifyScan.js';
import { SCAN, SCAN_OUT } from './scan.js';
import { CUSTOM_VJP } from './custom.js';

export const verify = (f: IrFunction): IrFunction => {
  const seen = new Map<number, number>();
  const fail = (msg: string, at: number): never => {
    const lo = Math.max(0, at - 3);
    throw new InternalError(`IR verification failed in ${f.name}: ${msg}`, printNodes(f.nodes.slice(lo, at + 2)));
  };
  f.nodes.forEach((n, i) => {
    if (seen.has(n.id)) fail(`%${n.id} defined twice`, i);
    for (const inp of n.inputs) if (!seen.has(inp)) fail(`%${n.id} uses %${inp} before its definition`, i);
    if (n.op === SCAN || n.op === SCAN_OUT) {
      const problem = scanProblem(n, (id) => f.nodes[seen.get(id)!]!, verify);
      if (problem) fail(`%${n.id}: ${problem}`, i);
    } else if (n.op === CUSTOM_VJP) {
      const y = f.nodes[seen.get(n.inputs[0]!)!]!;
      if (!sameType(y.type, n.type)) fail(`%${n.id}: a custom gradient's value is typed ${fmtType(n.type)} but its function gives ${fmtType(y.type)}`, i);
    } else if (n.op !== INPUT && n.op !== CONST) {
      const def = opDef(n.op);
      if (!def) fail(`unknown op ${n.op}`, i);
      if (def!.arity !== 'variadic' && def!.arity !== n.inputs.length) fail(`${n.op} takes ${def!.arity} inputs, has ${n.inputs.length}`, i);
      const wrong = attrsProblem(def!, n.attrs);
      if (wrong) fail(`%${n.id}: ${wrong}`, i);
      const t = def!.shape(
        n.inputs.map((x) => f.nodes[seen.get(x)!]!.type),
        n.attrs,
      );
      if (isShapeError(t)) fail(`%${n.id}: ${t.reason}`, i);
      else if (!sameType(t, n.type)) fail(`%${n.id} is typed ${fmtType(n.type)} but ${n.op} gives ${fmtType(t)}`, i);
    }
    seen.set(n.id, i);
  });
  for (const o of f.outputs) if (!seen.has(o.id)) fail(`output ${o.name} refers to missing %${o.id}`, f.nodes.length - 1);
  for (const u of f.updates) {
    if (!seen.has(u.value) || !seen.has(u.target)) fail(`update %${u.target} <- %${u.value} refers to a missing node`, f.nodes.length - 1);
    const t = f.nodes[seen.get(u.target)!]!,
      val = f.nodes[seen.get(u.value)!]!;
    if (t.op !== INPUT) fail(`update target %${u.target} is not an input`, seen.get(u.target)!);
    if (!sameType(t.type, val.type)) fail(`update %${u.target} <- %${u.value}: ${fmtType(t.type)} vs ${fmtType(val.type)}`, seen.get(u.value)!);
  }
  return f;
};
