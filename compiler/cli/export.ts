// `dlm export FILE --format onnx|torch [--checkpoint C] [-o OUT] [--output NAME]`: writes the model for
// another engine — an ONNX model of its inference program (with the checkpoint's weights), or a
// PyTorch module (parameters named as in the checkpoint, so load_state_dict of it works).
import * as E from 'fp-ts/lib/Either.js';
import type { Model } from '../api/model.js';
import { exportOnnx } from '../export/onnx/export.js';
import { exportTorch } from '../export/torch/export.js';
import { loadParams } from './checkpoints.js';
import { UsageError, printDiagnostics, writeAtomic, type Out } from './io.js';

export interface ExportFlags {
  readonly format?: string;
  readonly checkpoint?: string;
  readonly out?: string;
  readonly output?: string;
  readonly version: string;
}

const FORMATS = { onnx: '.onnx', torch: '.py' } as const;

/** The format from --format, or else from the output file's extension. */
const formatOf = (f: ExportFlags): keyof typeof FORMATS => {
  const given = f.format ?? (f.out?.endsWith('.onnx') ? 'onnx' : f.out?.endsWith('.py') ? 'torch' : undefined);
  if (given === undefined) throw new UsageError('export needs --format onnx|torch (or an output file ending in .onnx or .py)');
  if (!Object.hasOwn(FORMATS, given)) throw new UsageError(`--format must be one of ${Object.keys(FORMATS).join(', ')}, got '${given}'`);
  return given as keyof typeof FORMATS;
};

/** Returns whether the export succeeded (false: diagnostics were printed). */
export const exportCommand = (out: Out, model: Model, file: string, f: ExportFlags): boolean => {
  const format = formatOf(f);
  if (f.checkpoint) loadParams(model, f.checkpoint);
  if (format === 'torch' && f.output) throw new UsageError('--output applies to --format onnx (the PyTorch module has every output)');
  const path = f.out ?? `${model.name}${FORMATS[format]}`;
  const r =
    format === 'onnx'
      ? exportOnnx(model, { ...(f.output ? { outputs: [f.output] } : {}), producerVersion: f.version })
      : exportTorch(model, { source: file, version: f.version, ...(f.checkpoint ? { checkpoint: f.checkpoint } : {}) });
  if (E.isLeft(r)) {
    printDiagnostics(out, r.left);
    return false;
  }
  writeAtomic(path, r.right);
  const what = typeof r.right === 'string' ? 'PyTorch module' : `ONNX model (opset 18, ${r.right.length.toLocaleString('en-US')} bytes)`;
  const weights =
    typeof r.right === 'string'
      ? ` (load weights with ${model.name}().load_dlm(${f.checkpoint ?? 'CHECKPOINT.safetensors'}))`
      : f.checkpoint
        ? ` with the weights of ${f.checkpoint}`
        : ' (seeded initial weights: pass --checkpoint for trained ones)';
  out.err(`${model.name}: ${what} written to ${path}${weights}`);
  return true;
};
