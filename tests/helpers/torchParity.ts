// PyTorch as an oracle for the parity tests (optimizers, losses, converters; tests/helpers/torch.ts is
// the op-by-op one): one Python process runs a script that reads JSON on stdin and prints JSON on stdout,
// in float64. Debian's python3-torch (/usr/bin/python3); without it the caller skips with a printed reason (.ci/run installs it).
import { spawnSync } from 'node:child_process';

const PYTHON = '/usr/bin/python3';
let available: string | true | undefined;

/** true when `import torch` works, else the reason it does not. */
export const torchAvailable = (): string | true => {
  if (available !== undefined) return available;
  const r = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
  available =
    r.status === 0 ? true : `PyTorch is not importable with ${PYTHON} (${(r.stderr || String(r.error ?? '')).trim().split('\n').pop()}); install python3-torch`;
  return available;
};

/**
 * Runs `script` (Python; `data` = the parsed stdin JSON, `emit(obj)` prints the answer) once. Returns
 * undefined, after console.warn, when torch is unavailable.
 */
export const runTorch = <T>(what: string, script: string, data: unknown): T | undefined => {
  const ok = torchAvailable();
  if (ok !== true) {
    console.warn(`skipping the PyTorch comparison of ${what}: ${ok}`);
    return undefined;
  }
  const prelude =
    'import json, sys, torch\ntorch.set_default_dtype(torch.float64)\ndata = json.load(sys.stdin)\n' + 'def emit(obj):\n    json.dump(obj, sys.stdout)\n';
  const r = spawnSync(PYTHON, ['-c', prelude + script], { input: JSON.stringify(data), encoding: 'utf8', timeout: 120_000, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`the PyTorch script for ${what} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
};

/** The largest |a − b| / max(1, |b|) over two arrays of the same length. */
export const maxRelErr = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return worst;
};
