// The CLI in-process: exit codes, rendered diagnostics (a snapshot of the exact text a user sees),
// and the commands on the examples.
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli as run } from './helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'dlm-cli-'));
const file = (name: string, text: string) => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};

describe('dlm CLI', () => {
  test('--help and --version exit 0; no command exits 2', async () => {
    expect((await run('--help')).code).toBe(0);
    expect((await run('--help')).stdout).toContain('train FILE');
    expect((await run('--version')).stdout).toMatch(/^\d+\.\d+\.\d+$/);
    expect((await run()).code).toBe(2);
    expect((await run('frobnicate', 'x.dlm')).code).toBe(2);
    expect((await run('check')).code).toBe(2);
    expect((await run('check', 'x.dlm', '--no-such-flag')).code).toBe(2);
  });

  test('check on a good file exits 0, on a missing file 2', async () => {
    expect((await run('check', 'examples/mnist_mlp.dlm')).code).toBe(0);
    expect((await run('check', join(tmp, 'missing.dlm'))).code).toBe(2);
  });

  test('check renders a located diagnostic with a caret frame and notes, and exits 1', async () => {
    const p = file('bad.dlm', 'model M {\n  input x: f32[B, 3]\n  param b: f32[4] = zeros\n  let h = x + b\n  output y = h\n}\n');
    const r = await run('check', p);
    expect(r.code).toBe(1);
    expect(r.stderr.replaceAll(p, 'bad.dlm')).toBe(
      [
        'bad.dlm:4:11: error[E0201]: cannot broadcast [B, 3] with [4]: axis -1 has 3 and 4',
        '  4 |   let h = x + b',
        '    |           ^^^^^',
        '  note: left operand is f32[B, 3]  (bad.dlm:4:11)',
        '  note: right operand is f32[4]  (bad.dlm:4:15)',
        '',
        '1 error',
      ].join('\n'),
    );
  });

  test('several independent errors are reported in one run', async () => {
    const p = file('many.dlm', 'model M {\n  input x: f32[B, 3]\n  let a = x + nope\n  let b = x @ x\n  output y = exp(x) + zilch\n}\n');
    const r = await run('check', p);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('E0101');
    expect(r.stderr).toContain('E0202');
    expect(r.stderr).toMatch(/3 errors/);
  });

  test('check --shapes prints inferred types', async () => {
    const r = await run('check', 'examples/mnist_mlp.dlm', '--shapes');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('h1: f32[B, 16]');
    expect(r.stdout).toContain('logits: f32[B, 10]');
  });

  test('compile --emit js shows specialized loops with constant bounds', async () => {
    const r = await run('compile', 'examples/mnist_mlp.dlm', '--emit', 'js', '--dim', 'B=32');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/< 32;/);
    expect(r.stdout).toMatch(/mnist_mlp\.dlm:\d+:\d+/);
    expect(r.stdout).toMatch(/function k\d+\(/);
    expect(r.stdout).not.toContain('eval(');
  });

  test('compile --emit ir shows the gradient program', async () => {
    const r = await run('compile', 'examples/mnist_mlp.dlm', '--emit', 'ir', '--grad');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('(bwd)');
    expect(r.stdout).toContain('grad:l1.W=');
  });

  test('compile --stats reports FLOPs and peak memory against the minimum; in-place updates keep it near 1', async () => {
    const stats = async (...extra: string[]) =>
      (await run('compile', 'examples/mnist_mlp.dlm', '--train', '--stats', '--dim', 'B=64', '-o', join(tmp, 'step.js'), ...extra)).stderr;
    const on = await stats(),
      off = await stats('--no-pass', 'inplace');
    expect(on).toMatch(/kernels \d+, loops \d+, [\d.]+ MFLOP per call/);
    const ratio = (s: string) => Number(/peak \/ minimum = ([\d.]+)/.exec(s)![1]);
    expect(ratio(on)).toBeLessThanOrEqual(1.25);
    expect(ratio(off)).toBeGreaterThan(ratio(on));
  });

  test('--no-pass names an unknown pass: usage error listing the passes', async () => {
    const r = await run('compile', 'examples/mnist_mlp.dlm', '--no-pass', 'fusoin');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown pass 'fusoin'");
    expect(r.stderr).toContain('fusion');
  });

  test('run prints outputs that match the library', async () => {
    const out = join(tmp, 'xor.json');
    const r = await run('run', 'examples/xor.dlm', '--input', 'x=examples/data/xor_x.json', '-o', out);
    expect(r.code).toBe(0);
    const j = JSON.parse(readFileSync(out, 'utf8'));
    expect(j.p.shape).toEqual([4, 1]);
    expect(existsSync(out)).toBe(true);
  });

  test('run with an input of the wrong shape names the input and its declaration', async () => {
    const bad = file('bad_x.json', '[[1, 2, 3]]');
    const r = await run('run', 'examples/xor.dlm', '--input', `x=${bad}`);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error[E0401]: 'x' has the wrong shape");
    expect(r.stderr).toContain('xor.dlm:');
  });

  test('gradcheck passes on an example', async () => {
    const r = await run('gradcheck', 'examples/xor.dlm');
    expect(r.stdout).toContain('gradcheck passed');
    expect(r.code).toBe(0);
  });

  test('summary counts 13,002 parameters for the 784-16-16-10 MLP', async () => {
    const r = await run('summary', 'examples/mnist_mlp.dlm');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('13,002');
  });
});
