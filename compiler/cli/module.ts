// `dlm compile FILE --emit module [--train] [--dim B=1,32] [--checkpoint C] -o model.mjs`: a standalone
// ES module of the model and, beside it, its TypeScript declarations (model.d.mts for model.mjs).
import { Trainer } from '../api/trainer.js';
import type { Model } from '../api/model.js';
import { standaloneModule } from '../embed/standalone.js';
import { loadParams, modelHash } from './checkpoints.js';
import { UsageError, writeAtomic, type Out } from './io.js';

export interface ModuleFlags {
  readonly dims: readonly string[];
  readonly train: boolean;
  readonly checkpoint?: string;
  readonly out?: string;
}

/** `--dim B=1,32 --dim T=16` → { B: [1, 32], T: [16] }. */
export const dimLists = (flags: readonly string[]): Record<string, number[]> => {
  const dims: Record<string, number[]> = Object.create(null);
  for (const d of flags) {
    const m = /^([A-Za-z_]\w*)=(\d+(?:,\d+)*)$/.exec(d);
    if (!m) throw new UsageError(`--dim expects NAME=SIZE or NAME=SIZE,SIZE,…, got '${d}'`);
    const sizes = m[2]!.split(',').map(Number);
    if (sizes.some((s) => s < 1 || !Number.isSafeInteger(s))) throw new UsageError(`--dim ${m[1]}: sizes must be positive integers, got '${m[2]}'`);
    dims[m[1]!] = [...new Set([...(dims[m[1]!] ?? []), ...sizes])];
  }
  return dims;
};

/** The declarations' path for a module path: x.mjs → x.d.mts, x.js → x.d.ts. */
export const declarationsPath = (path: string): string => (path.endsWith('.mjs') ? `${path.slice(0, -4)}.d.mts` : `${path.replace(/\.js$/, '')}.d.ts`);

/** Returns the module text to print when no -o was given (the declarations are written only beside a file). */
export const moduleCommand = (out: Out, model: Model, f: ModuleFlags): string | undefined => {
  const trainer = f.train ? new Trainer(model) : undefined;
  if (f.checkpoint) loadParams(model, f.checkpoint, trainer);
  const m = standaloneModule(model, { dims: dimLists(f.dims), train: f.train, modelHash: modelHash(model), ...(trainer ? { trainer } : {}) });
  if (!f.out) return m.js;
  writeAtomic(f.out, m.js);
  writeAtomic(declarationsPath(f.out), m.dts);
  const specs = `${m.specializations} specialization${m.specializations === 1 ? '' : 's'}`;
  out.err(`wrote ${f.out} (${(m.js.length / 1024).toFixed(0)} KiB, ${specs}) and ${declarationsPath(f.out)}`);
  return undefined;
};
