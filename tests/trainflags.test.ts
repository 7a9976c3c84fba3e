// Bad numbers never train silently: every numeric flag and train setting is checked (a usage error, exit
// 2, naming it), and class labels are checked against the model's number of classes when batches are
// built (exit 1 naming the file and row) instead of writing a 1 into another row's one-hot.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { EXIT } from '../compiler/cli/io.js';
import { runCli } from './helpers/cli.js';
import { scratchDir } from './helpers/scratch.js';

const dir = scratchDir('dlm-flags-');
const run = runCli;
const model = (train = '') => `import nn
model C {
  input x: f32[B, 2]
  target y: i32[B]
  layer l = nn.Dense(2, 2)
  output logits = l(x)
  loss nn.cross_entropy(logits, y)
  optimizer sgd(lr = 0.1)
${train}}
`;
const MODEL = join(dir, 'c.dlm');
writeFileSync(MODEL, model());
const csv = (name: string, labels: (number | string)[]) => {
  const p = join(dir, name);
  writeFileSync(p, 'a,b,label\n' + labels.map((l, i) => `${i % 3},${i % 2},${l}`).join('\n') + '\n');
  return p;
};
const GOOD = csv(
  'good.csv',
  Array.from({ length: 20 }, (_, i) => i % 2),
);

describe('numeric flags', () => {
  for (const [flag, value, message] of [
    ['--batch', '-1', /--batch must be an integer ≥ 1, got -1/],
    ['--limit', '-1', /--limit must be an integer ≥ 1, got -1/],
    ['--epochs', '0', /--epochs must be an integer ≥ 1, got 0/],
    ['--lr', '-0.1', /--lr must be a number > 0, got -0.1/],
    ['--clip-norm', '-1', /--clip-norm must be a number > 0, got -1/],
    ['--clip-value', '0', /--clip-value must be a number > 0/],
    ['--val-fraction', '1', /--val-fraction must be a number ≥ 0 and < 1, got 1/],
    ['--keep', '-2', /--keep must be an integer ≥ 0/],
    ['--save-every', '0', /--save-every expects N \(epochs\), Nepochs or Nsteps with N ≥ 1, got '0'/],
    ['--seed', '1.5', /--seed expects an integer/],
  ] as const) {
    test(`${flag}=${value}: exit 2 naming it`, async () => {
      const r = await run('train', MODEL, '--data', GOOD, `${flag}=${value}`, '--out', join(dir, 'x.safetensors'));
      expect(r.stderr).toMatch(message);
      expect(r.code).toBe(2);
    });
  }

  test('train { batch = 0 } is E0111 at check (it used to hang at 0/144)', async () => {
    const f = join(dir, 'zero.dlm');
    writeFileSync(f, model('  train {\n    batch = 0\n  }\n'));
    const r = await run('check', f);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/E0111.*'batch' must be an integer ≥ 1, got 0/s);
  });
});

describe('class labels', () => {
  test('labels ≥ the number of classes: exit 1 naming the file and row (not a 1 in another row)', async () => {
    const p = csv('two.csv', [0, 2, 1, 1, 0, 1, 0, 1, 0, 1]);
    const r = await run('train', MODEL, '--data', p, '--epochs', '1', '--out', join(dir, 'y.safetensors'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/two\.csv: line 3: label 2 is not a class index in 0…1/);
  });

  test('a CSV label of 3e9 is an error, not a wrapped integer', async () => {
    const p = csv('big.csv', [0, 1, 0, '3e9', 1, 0, 1, 0, 1, 0]);
    const r = await run('train', MODEL, '--data', p, '--epochs', '1', '--out', join(dir, 'z.safetensors'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/big\.csv: line 5: label 3000000000 is not a class index in 0…1/);
  });
});

describe('README: Runs and checkpoints', () => {
  test('the section exists and its exit-code table lists exactly the codes the CLI uses', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = readme.split(/^## Runs and checkpoints$/m)[1]?.split(/^## /m)[0];
    expect(section, 'README has a "## Runs and checkpoints" section').toBeDefined();
    const documented = [...section!.matchAll(/^\| (\d+)(?: \/ (\d+))? \|/gm)]
      .flatMap((m) => [m[1], m[2]])
      .filter(Boolean)
      .map(Number);
    expect(documented.sort((a, b) => a - b)).toEqual(Object.values(EXIT).sort((a, b) => a - b));
    for (const space of ['@optimizer/', '@best/', '@model/__metadata__', 'model_hash', '--resume', '--save-every', '--keep']) expect(section).toContain(space);
  });
});
