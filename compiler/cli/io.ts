// The CLI's side of the world: reading tensors from .json/.npy files, writing outputs, printing
// diagnostics with colour only on a TTY, and exit codes.
import { readJsonTensor } from '../../runtime/data/json.js';
import { readNpy } from '../../runtime/data/npy.js';
import type { Tensor } from '../../runtime/tensor.js';
import { writeFileAtomic } from '../../runtime/write.js';
import { toNested } from '../../runtime/tensor.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { renderDiagnostics } from '../diagnostics/render.js';
import { sourceLookup } from '../parse/modules.js';

/** Exit codes: 130 / 143 = 128 + SIGINT / SIGTERM, after a training run saved its checkpoint. */
export const EXIT = { ok: 0, userError: 1, usage: 2, internal: 3, sigint: 130, sigterm: 143 } as const;

export class UsageError extends Error {}

export interface Out {
  log(s: string): void;
  err(s: string): void;
  readonly color: boolean;
  readonly stderrIsTTY: boolean;
  /** Where progress bars draw (the terminal's stderr); none when absent, e.g. in tests. */
  readonly progress?: { write(s: string): unknown; isTTY?: boolean };
}

/**
 * A closed pipe (`dlm summary | head`) ends the process quietly: the reader has what it wanted.
 * Without a handler Node reports EPIPE as an uncaught error with a stack trace.
 */
const quietOnClosedPipe = (stream: NodeJS.WriteStream): void => {
  if (stream.listenerCount('error') > 0) return;
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') process.exit(process.exitCode ?? 0);
    throw e;
  });
};

export const consoleOut = (): Out => {
  quietOnClosedPipe(process.stdout);
  quietOnClosedPipe(process.stderr);
  return consoleStreams();
};

const consoleStreams = (): Out => ({
  log: (s) => process.stdout.write(s + '\n'),
  err: (s) => process.stderr.write(s + '\n'),
  color: Boolean(process.stderr.isTTY) && !process.env['NO_COLOR'],
  stderrIsTTY: Boolean(process.stderr.isTTY),
  progress: process.stderr,
});

export const printDiagnostics = (out: Out, ds: readonly Diagnostic[]): void => out.err(renderDiagnostics(ds, sourceLookup, { color: out.color }));

export const readTensorFile = (path: string): Tensor => {
  if (path.endsWith('.npy')) return readNpy(path);
  if (path.endsWith('.json')) return readJsonTensor(path);
  throw new UsageError(`--input files must be .json or .npy, got ${path}`);
};

/** Writes a file completely or not at all (see runtime/write.ts); failures are WriteErrors (exit 1). */
export const writeAtomic = (path: string, data: string | Uint8Array): void => writeFileAtomic(path, data);

export const tensorsToJson = (ts: Record<string, Tensor>): string =>
  JSON.stringify(Object.fromEntries(Object.entries(ts).map(([k, t]) => [k, { shape: t.shape, data: toNested(t) }])), null, 1);
