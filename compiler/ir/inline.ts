// Copies a function's nodes into a builder, its inputs replaced by given values (by input name), and
// returns the values of its outputs. Used to differentiate a loop body inside another program.
import { InternalError } from '../diagnostics/diagnostic.js';
import type { Value } from '../ops/op.js';
import type { IrBuilder } from './builder.js';
import { CONST, CUSTOM_VJP, INPUT, inputName, type IrFunction } from './ir.js';
import { SCAN, SCAN_OUT } from './scan.js';

/** `copies`, when given, receives the value each of f's nodes became. */
export const inlineFunction = (b: IrBuilder, f: IrFunction, args: ReadonlyMap<string, Value>, copies?: Map<number, Value>): Value[] => {
  const map = copies ?? new Map<number, Value>();
  const get = (id: number): Value => {
    const v = map.get(id);
    if (v === undefined) throw new InternalError(`inline: %${id} used before its definition`);
    return v;
  };
  for (const n of f.nodes) {
    const v = b.at(
      n.span,
      () => {
        if (n.op === INPUT) {
          const a = args.get(inputName(n));
          if (a === undefined) throw new InternalError(`inline: no value for input '${inputName(n)}' of ${f.name}`);
          return a;
        }
        if (n.op === CONST) return b.num(n.attrs['value'] as number | string, n.attrs['dtype'] === 'f32' ? 'f32' : 'i32');
        if (n.op === SCAN || n.op === SCAN_OUT || n.op === CUSTOM_VJP) return b.structural(n.op, n.inputs.map(get), n.attrs, n.type);
        return b.opNamed(n.op, n.inputs.map(get), n.attrs);
      },
      n.backward ?? b.backward,
    );
    map.set(n.id, v);
  }
  return f.outputs.map((o) => get(o.id));
};
