// Files larger than memory: a .npy of 300 MiB (over the 128 MiB streaming threshold) trains one epoch
// in a child `dlm train` whose peak resident memory (getrusage's maxRSS) stays far below the file's size,
// because rows are read a batch at a time. Loading the file whole would need its 300 MiB at least.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { encodeNpy } from '../../runtime/data/npy.js';
import { scratch } from './helpers.js';

const { file, path } = scratch('memory');
const N = 19200,
  F = 4096; // 19200 × 4096 × 4 bytes = 300 MiB

describe('chunked .npy reading', () => {
  test('training on a 300 MiB .npy keeps the child process under 200 MiB resident', () => {
    const x = path('x.npy');
    const fd = openSync(x, 'w');
    writeSync(fd, encodeNpy({ data: new Float32Array(0), shape: [N, F] }));
    const labels = new Int32Array(N),
      rows = new Float32Array(256 * F);
    for (let start = 0; start < N; start += 256) {
      // row r: every value v_r = ((r·7919) mod 1000)/1000 − 0.5, label 1 when v_r > 0
      for (let i = 0; i < 256; i++) {
        const v = (((start + i) * 7919) % 1000) / 1000 - 0.5;
        rows.fill(v, i * F, (i + 1) * F);
        labels[start + i] = v > 0 ? 1 : 0;
      }
      writeSync(fd, new Uint8Array(rows.buffer));
    }
    closeSync(fd);
    writeFileSync(path('y.npy'), encodeNpy({ data: labels, shape: [N] }));
    const model = file(
      'wide.dlm',
      `import nn\nmodel Wide {\n  input x: f32[B, ${F}]\n  target y: i32[B]\n  layer l = nn.Dense(${F}, 2)\n` +
        '  output logits = l(x)\n  loss nn.cross_entropy(logits, y)\n  optimizer adam(lr = 0.01)\n}\n',
    );
    const script = `const { main } = await import(${JSON.stringify(`${process.cwd()}/dist/cli.js`)});
      const code = await main(['train', ${JSON.stringify(model)}, '--data', ${JSON.stringify(x)}, '--epochs', '1', '--batch', '256', '--out',
        ${JSON.stringify(path('w.safetensors'))}]);
      process.stderr.write('maxrss ' + process.resourceUsage().maxRSS + '\\n');
      process.exitCode = code;`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    rmSync(x);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('x.npy: 300 MiB, read from disk a batch at a time (not loaded)');
    expect(r.stdout).toMatch(/accuracy (9\d|100)\.\d+%/);
    const rssMiB = Number(/maxrss (\d+)/.exec(r.stderr)![1]) / 1024;
    console.log(`peak RSS training on a 300 MiB .npy: ${rssMiB.toFixed(0)} MiB`);
    expect(rssMiB).toBeLessThan(200);
  }, 180_000);
});
