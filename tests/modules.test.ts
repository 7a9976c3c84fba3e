// Imports: stdlib modules and user files (relative to the importing file), cycles reported, errors in
// an imported file shown in that file; and run-time input checks (E0403).
import * as E from 'fp-ts/lib/Either.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { compileFile } from '../compiler/index.js';
import { encodeNpy } from '../runtime/data/npy.js';
import { main } from '../compiler/cli.js';
import { compileOk } from './helpers/compile.js';

const dir = mkdtempSync(join(tmpdir(), 'dlm-mod-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('imports', () => {
  test('a user file imported with an alias provides layers and functions', async () => {
    file('blocks.dlm', 'import nn\nlayer Block(n) {\n  layer d = nn.Dense(n, n)\n  fn forward(x) = x + relu(d(x))\n}\nfn twice(x) = 2 * x\n');
    const main_ = file(
      'main.dlm',
      'import "./blocks.dlm" as blocks\nmodel M {\n  input x: f32[B, 4]\n  layer b = blocks.Block(4)\n  output y = blocks.twice(b(x))\n}\n',
    );
    const r = compileFile(main_);
    expect(E.isRight(r)).toBe(true);
    if (E.isRight(r)) expect(r.right.model().ir.params.map((p) => p.name)).toEqual(['b.d.W', 'b.d.b']);
  });

  test('an import cycle is E0107', async () => {
    file('a.dlm', 'import "./b.dlm" as b\nfn fa(x) = x\n');
    file('b.dlm', 'import "./a.dlm" as a\nfn fb(x) = x\n');
    const r = compileFile(file('c.dlm', 'import "./a.dlm" as a\nmodel M {\n  input x: f32[2]\n  output y = a.fa(x)\n}\n'));
    expect(E.isLeft(r) && r.left.map((d) => d.code)).toContain('E0107');
  });

  test('a missing file is E0103 at the import', async () => {
    const r = compileFile(file('d.dlm', 'import "./nope.dlm" as n\nmodel M {\n  input x: f32[2]\n  output y = x\n}\n'));
    expect(E.isLeft(r) && r.left[0]!.code).toBe('E0103');
  });

  test('an error inside an imported file is reported in that file', async () => {
    file('bad.dlm', 'fn broken(x) = x @ 3\n');
    const r = compileFile(file('e.dlm', 'import "./bad.dlm" as bad\nmodel M {\n  input x: f32[2]\n  output y = bad.broken(x)\n}\n'));
    expect(E.isLeft(r) && r.left[0]!.span!.file).toBe(join(dir, 'bad.dlm'));
  });
});

describe('run-time inputs', () => {
  test('data that does not match its shape is E0403', async () => {
    const m = compileOk('model M {\n  input x: f32[B, 2]\n  output y = x * 2\n}\n').model();
    expect(() => m.forward({ x: { data: new Float32Array(5), shape: [2, 2] } })).toThrow(/E0403/);
  });

  test('dlm run reads .npy inputs', async () => {
    const npy = join(dir, 'x.npy');
    writeFileSync(npy, encodeNpy({ data: Float32Array.from([0, 0, 0, 1, 1, 0, 1, 1]), shape: [4, 2] }));
    const out: string[] = [];
    const code = await main(['run', 'examples/xor.dlm', '--input', `x=${npy}`], { log: (s) => out.push(s), err: () => {}, color: false, stderrIsTTY: false });
    expect(code).toBe(0);
    expect(JSON.parse(out.join('\n')).p.shape).toEqual([4, 1]);
  });
});
