// Text form of the IR, jaxpr-like: one node per line with its type, attributes and source location.
import type { Attrs } from '../ops/op.js';
import { fmtDim } from '../types/dims.js';
import { fmtType } from '../types/types.js';
import { CONST, INPUT, type IrFunction, type Node } from './ir.js';
import { SCAN, scanInfo } from './scan.js';

const fmtAttr = (v: Attrs[string]): string =>
  Array.isArray(v) ? `[${v.map((d) => (typeof d === 'number' || typeof d === 'string' ? fmtDim(d) : String(d))).join(',')}]` : String(v);

const fmtAttrs = (a: Attrs): string => {
  const keys = Object.keys(a);
  return keys.length ? ` {${keys.map((k) => `${k}=${fmtAttr(a[k]!)}`).join(', ')}}` : '';
};

export const printNode = (n: Node): string => {
  const lhs = `%${n.id}: ${fmtType(n.type)}`;
  const where = n.span.file !== '<generated>' ? `  @${n.span.file}:${n.span.start}` : '';
  const tag = `${n.backward ? ' (bwd)' : ''}${n.label ? ` ${n.label}` : ''}`;
  if (n.op === INPUT) return `${lhs} = input ${n.attrs['role']} ${n.attrs['name']}`;
  if (n.op === CONST) return `${lhs} = const ${fmtDim(n.attrs['value'] as number | string)}${tag}`;
  if (n.op === SCAN) {
    const s = scanInfo(n);
    const head =
      `%${n.id} = scan${s.reverse ? ' reverse' : ''} over ${fmtDim(s.length)} steps${s.truncate ? ` (gradient truncated every ${s.truncate})` : ''}` +
      `${s.checkpoint ? ` (checkpoint every ${s.checkpoint})` : ''}${s.segment ? ` (segments of ${s.segment} steps)` : ''}` +
      `: carries ${n.inputs
        .slice(0, s.carries)
        .map((i) => `%${i}`)
        .join(' ')}` +
      ` (keep ${s.keep.join(',')})` +
      `, sequences ${
        n.inputs
          .slice(s.carries, s.carries + s.xs)
          .map((i) => `%${i}`)
          .join(' ') || '-'
      }, captures ${
        n.inputs
          .slice(s.carries + s.xs)
          .map((i) => `%${i}`)
          .join(' ') || '-'
      }${tag ? `  #${tag}` : ''}${where}`;
    return [
      head,
      ...printFunction(s.body)
        .split('\n')
        .map((l) => `    ${l}`),
    ].join('\n');
  }
  return `${lhs} = ${n.op} ${n.inputs.map((i) => `%${i}`).join(' ')}${fmtAttrs(n.attrs)}${tag ? `  #${tag}` : ''}${where}`;
};

export const printNodes = (nodes: readonly Node[]): string => nodes.map((n) => `  ${printNode(n)}`).join('\n');

export const printFunction = (f: IrFunction): string => {
  const outs = f.outputs.map((o) => `${o.name}=%${o.id}`).join(', ');
  const ups = f.updates.map((u) => `%${u.target} <- %${u.value}`).join(', ');
  return [`fn ${f.name} {`, printNodes(f.nodes), `  return ${outs}${ups ? `; update ${ups}` : ''}`, '}'].join('\n');
};
