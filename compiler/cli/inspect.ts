// `dlm check`, `dlm compile` and `dlm summary`: everything that looks at a program without running it.
import { printFunction } from '../ir/print.js';
import type { IrFunction } from '../ir/ir.js';
import { emitSource, locate, optimize, specialize, statsOf, SWITCHABLE, type BackendChoice } from '../pipeline.js';
import { lineCol } from '../diagnostics/span.js';
import { sourceLookup } from '../parse/modules.js';
import { fmtType } from '../types/types.js';
import { dimNames } from '../types/dims.js';
import type { Model } from '../api/model.js';
import { Trainer } from '../api/trainer.js';
import { selectOutputs } from '../train/step.js';
import type { Program } from '../index.js';
import { UsageError, type Out } from './io.js';

const loc = (file: string, offset: number): string => {
  const src = sourceLookup(file);
  if (!src) return file;
  const { line, col } = lineCol(src, offset);
  return `${file}:${line}:${col}`;
};

export const printShapes = (out: Out, p: Program): void => {
  for (const m of p.checked.models) {
    out.log(`model ${m.name}`);
    for (const i of m.inputs) out.log(`  ${i.role.padEnd(6)} ${i.name}: ${fmtType(i.type)}   ${loc(i.span.file, i.span.start)}`);
    for (const s of m.shapes) out.log(`  let    ${s.name}: ${fmtType(s.type)}   ${loc(s.span.file, s.span.start)}`);
    if (m.hasLoss) out.log(`  loss: f32`);
  }
};

/** Concrete values for symbolic dims from `--dim B=32` flags; unbound dims default to 1. */
export const dimEnv = (f: IrFunction, dims: readonly string[]): Map<string, number> => {
  const env = new Map<string, number>();
  for (const d of dims) {
    const m = /^([A-Za-z_]\w*)=(\d+)$/.exec(d);
    if (!m) throw new UsageError(`--dim expects NAME=SIZE, got '${d}'`);
    env.set(m[1]!, Number(m[2]));
  }
  for (const n of f.nodes) for (const d of n.type.shape) for (const name of dimNames(d)) if (!env.has(name)) env.set(name, 1);
  return env;
};

export interface EmitOptions {
  readonly emit: string;
  readonly program: 'forward' | 'grad' | 'train';
  readonly optimized: boolean;
  readonly dims: readonly string[];
  readonly stats: boolean;
  readonly timings: boolean;
  readonly disable: readonly string[];
  readonly backend?: BackendChoice;
}

export const compileCommand = (out: Out, model: Model, o: EmitOptions): string => {
  const timings: string[] = [];
  const raw =
    o.program === 'train'
      ? new Trainer(model).program.fn
      : o.program === 'grad'
        ? model.gradProgram()
        : selectOutputs(model.ir.fn, [...model.ir.outputs, ...(model.ir.hasLoss ? ['loss'] : [])]);
  const t0 = performance.now();
  const opt = optimize(raw, { disable: o.disable, onPass: (name, _f, ms) => timings.push(`  ${name.padEnd(10)} ${ms.toFixed(2)} ms`) });
  const passMs = performance.now() - t0;
  let text: string;
  if (o.emit === 'ir')
    text = printFunction(o.optimized ? opt : raw)
      .split('\n')
      .map(locate)
      .join('\n');
  else if (o.emit === 'c') {
    const env = dimEnv(opt, o.dims);
    text = emitSource(opt, env, 'native', 'f32', o.disable);
    if (o.stats) {
      const spec = specialize(opt, env, 'f32', o.disable, model.opts.maxMemory, 'native');
      out.err(`IR nodes ${raw.nodes.length} → ${opt.nodes.length} after the passes\n${statsOf(spec)}`);
      out.err(`native: ${spec.native!.cached ? 'cached object' : 'compiled'} in ${spec.native!.ccMs.toFixed(0)} ms (${spec.native!.object})`);
    }
  } else if (o.emit === 'js') {
    const spec = specialize(opt, dimEnv(opt, o.dims), 'f32', o.disable, model.opts.maxMemory, o.backend === 'native' ? 'wasm' : o.backend);
    text = spec.source;
    if (o.stats) out.err(`IR nodes ${raw.nodes.length} → ${opt.nodes.length} after the passes\n${statsOf(spec)}`);
    if (o.timings) {
      timings.push(
        `  ${'codegen'.padEnd(10)} ${spec.compileMs.toFixed(2)} ms`,
        ...spec.phaseMs.map(([phase, ms]) => `    ${phase.padEnd(12)} ${ms.toFixed(2)} ms`),
      );
    }
  } else throw new UsageError(`--emit must be ast, ir, js, c or module, got '${o.emit}'`);
  if (o.timings) out.err(`passes: ${passMs.toFixed(2)} ms\n${timings.join('\n')}`);
  return text;
};

export const checkPassNames = (names: readonly string[]): readonly string[] => {
  const known = SWITCHABLE;
  const bad = names.find((n) => !known.includes(n));
  if (bad !== undefined) throw new UsageError(`--no-pass: unknown pass '${bad}' (passes: ${known.join(', ')})`);
  return names;
};
