// What the JIT needs from a call before anything is compiled: the symbolic dims bound from the actual
// inputs (every mismatch a diagnostic, E04xx), and kernel notes turned into `.dlm` positions.
import type { TensorData } from '../../runtime/tensor.js';
import { diag, note, type Diagnostic } from '../diagnostics/diagnostic.js';
import { bindShape, type DimEnv } from '../ir/bind.js';
import { inputNodes, inputName, type IrFunction } from '../ir/ir.js';
import { fmtType } from '../types/types.js';
import { lineCol } from '../diagnostics/span.js';
import { sourceLookup } from '../parse/modules.js';

/** Kernel notes end in `@file:offset`; show them as `file.dlm:line:col`. */
export const locate = (note: string): string =>
  note.replace(/@(.+):(\d+)$/, (all, file: string, off: string) => {
    const src = sourceLookup(file);
    if (!src) return all;
    const { line, col } = lineCol(src, Number(off));
    return `${file.split(/[\\/]/).pop()}:${line}:${col}`;
  });

export interface ShapedInput {
  readonly data: TensorData;
  readonly shape: readonly number[];
}

/** Binds symbolic dims from the actual inputs; every mismatch is a diagnostic naming the input and its declaration. */
export const bindInputs = (f: IrFunction, given: Readonly<Record<string, ShapedInput>>, fixed?: DimEnv): { env: DimEnv; errors: Diagnostic[] } => {
  const env: DimEnv = new Map(fixed ?? []);
  const errors: Diagnostic[] = [];
  for (const n of inputNodes(f)) {
    const name = inputName(n);
    const x = Object.hasOwn(given, name) ? given[name] : undefined;
    if (!x) {
      errors.push(diag('E0402', n.span, `missing ${n.attrs['role']} '${name}' (declared as ${fmtType(n.type)})`));
      continue;
    }
    const count = x.shape.reduce((a, b) => a * b, 1);
    if (x.data.length !== count) {
      errors.push(diag('E0403', n.span, `'${name}' has ${x.data.length} elements but its shape [${x.shape.join(', ')}] needs ${count}`));
      continue;
    }
    const msg = bindShape(n.type.shape, x.shape, env);
    if (msg) errors.push(diag('E0401', n.span, `'${name}' has the wrong shape: ${msg}`, [note(`'${name}' is declared as ${fmtType(n.type)} here`, n.span)]));
  }
  return { env, errors };
};
