// Shared by the data tests: an in-process `dlm` run with captured output, a scratch folder, and
// small seeded tables.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../compiler/cli.js';
import type { Out } from '../../compiler/cli/io.js';
import { Rng } from '../../runtime/random.js';

export const scratch = (name: string) => {
  const dir = mkdtempSync(join(tmpdir(), `dlm-${name}-`));
  return {
    dir,
    file: (n: string, text: string | Uint8Array) => {
      const p = join(dir, n);
      writeFileSync(p, text);
      return p;
    },
    path: (n: string) => join(dir, n),
  };
};

export const dlm = async (...args: string[]) => {
  const o: string[] = [],
    e: string[] = [];
  const out: Out = { log: (s) => o.push(s), err: (s) => e.push(s), color: false, stderrIsTTY: false };
  const code = await main(args, out);
  return { code, stdout: o.join('\n'), stderr: e.join('\n') };
};

/** Rows of two features in [0, 1) and a label: 1 when a + b > 1 (a separable class problem). */
export const twoFeatureRows = (n: number, seed: number): [number, number, number][] => {
  const r = new Rng(seed);
  return Array.from({ length: n }, () => {
    const a = r.uniform(),
      b = r.uniform();
    return [Number(a.toFixed(3)), Number(b.toFixed(3)), a + b > 1 ? 1 : 0];
  });
};

/** Rows with y = 3a − 2b + 1 + small noise (a regression problem). */
export const linearRows = (n: number, seed: number): [number, number, number][] => {
  const r = new Rng(seed);
  return Array.from({ length: n }, () => {
    const a = r.uniform(),
      b = r.uniform();
    return [Number(a.toFixed(3)), Number(b.toFixed(3)), Number((3 * a - 2 * b + 1 + 0.01 * r.normal()).toFixed(4))];
  });
};

export const csv = (header: string, rows: readonly (readonly (number | string)[])[]) => [header, ...rows.map((r) => r.join(','))].join('\n') + '\n';

export const BINARY = `import nn
model Bin {
  input  x: f32[B, 2]
  target y: f32[B]
  layer  l = nn.Dense(2, 1)
  output p = sum(sigmoid(l(x)), [1])
  loss   nn.binary_cross_entropy(p, y)
  optimizer adam(lr = 0.1)
  train { epochs = 20  batch = 16 }
}
`;

export const REGRESSION = `import nn
model Reg {
  input  x: f32[B, 2]
  target y: f32[B, 1]
  layer  l = nn.Dense(2, 1)
  output pred = l(x)
  loss   mean(square(pred - y))
  optimizer adam(lr = 0.1)
  train { epochs = 40  batch = 16 }
}
`;
