// The invariants of scan nodes: the body's inputs and outputs match the carries, the per-step slices
// and the captures; every SCAN_OUT reads an existing result through a window it has.
import { sameType, fmtType, type TensorType } from '../types/types.js';
import { inputName, inputNodes, type IrFunction, type Node } from './ir.js';
import { SCAN, bodyInputName, outWindow, scanInfo, windowType } from './scan.js';

export const scanProblem = (n: Node, node: (id: number) => Node, verify: (f: IrFunction) => IrFunction): string | undefined => {
  if (n.op !== SCAN) {
    const scan = node(n.inputs[0]!);
    if (scan.op !== SCAN || n.inputs.length !== 1) return 'scan_out must read one scan node';
    const s = scanInfo(scan);
    const { index, window } = outWindow(n);
    if (index < 0 || index >= s.carries) return `scan_out reads carry ${index} of a scan with ${s.carries}`;
    if (window !== 'last' && s.keep[index] !== 'all') return `window '${window}' of a carry the scan does not keep`;
    const want = windowType(node(scan.inputs[index]!).type, window, s.length);
    return sameType(want, n.type) ? undefined : `scan_out is typed ${fmtType(n.type)} but reads ${fmtType(want)}`;
  }
  const s = scanInfo(n);
  verify(s.body);
  const ins = inputNodes(s.body);
  const byName = new Map(ins.map((i) => [inputName(i), i.type]));
  const expect = (name: string, t: TensorType): string | undefined => {
    const have = byName.get(name);
    if (!have) return `body has no input ${name}`;
    return sameType(have, t) ? undefined : `body input ${name} is ${fmtType(have)}, the scan passes ${fmtType(t)}`;
  };
  if (n.inputs.length !== ins.length) return `scan has ${n.inputs.length} inputs, its body ${ins.length}`;
  if (s.body.outputs.length !== s.carries || s.keep.length !== s.carries) return 'body outputs, carries and keep modes differ in number';
  const bodyNodes = new Map(s.body.nodes.map((b) => [b.id, b]));
  for (let i = 0; i < n.inputs.length; i++) {
    const t = node(n.inputs[i]!).type;
    const p =
      i < s.carries
        ? expect(bodyInputName('c', i), t)
        : i < s.carries + s.xs
          ? String(t.shape[0]) !== String(s.length)
            ? `sequence input ${i} has length ${String(t.shape[0])}, not ${String(s.length)}`
            : expect(bodyInputName('x', i - s.carries), { dtype: t.dtype, shape: t.shape.slice(1) })
          : expect(bodyInputName('k', i - s.carries - s.xs), t);
    if (p) return p;
    if (i < s.carries && !sameType(bodyNodes.get(s.body.outputs[i]!.id)!.type, t))
      return `carry ${i} is ${fmtType(t)} but the body returns ${fmtType(bodyNodes.get(s.body.outputs[i]!.id)!.type)}`;
  }
  return undefined;
};
