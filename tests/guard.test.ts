// A training step is all or nothing: the guard checks every loss AND the global gradient norm of every
// loss group before any parameter or optimizer state is written, undoes earlier groups of a multi-loss
// step, and names the first non-finite value's op and line (forward or backward) with the true step.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { RunError } from '../compiler/api/errors.js';
import { Trainer } from '../compiler/api/trainer.js';
import { main } from '../compiler/cli.js';
import type { Out } from '../compiler/cli/io.js';
import { compileOk } from './helpers/compile.js';
import { scratchDir } from './helpers/scratch.js';

const x = { data: Float32Array.from([1, 2, 3, 4]), shape: [2, 2] };
const e0404 = (f: () => unknown) => {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(RunError);
  const d = (err as RunError).diagnostics[0]!;
  expect(d.code).toBe('E0404');
  return d;
};

// d sqrt(u)/du = 1/(2√u) = ∞ at u = 0, times du/dw = 2w = 0: NaN in the gradient, with a finite loss 0
const SQRT = `
model Root {
  input x: f32[B, 2]
  param w: f32[2] = zeros
  let r = sqrt(x * w * w)
  loss mean(r)
  optimizer adam(lr = 0.1)
}`;

describe('the step guard', () => {
  test('a NaN gradient with a finite loss leaves parameters, optimizer state and t untouched', () => {
    const m = compileOk(SQRT).model();
    const t = new Trainer(m);
    const d = e0404(() => t.step({ x }));
    expect(d.message).toMatch(/a gradient became non-finite \(‖g‖ = NaN\) at step 1, with a finite loss 0/);
    expect(d.notes[0]!.message).toMatch(/backward pass: the gradient through this (sqrt|mul|div)/);
    const sp = d.notes[0]!.span!;
    expect(SQRT.slice(sp.start, sp.end)).toMatch(/sqrt|\*/); // a node of line `let r = sqrt(x * w * w)`
    expect(SQRT.slice(0, sp.start).split('\n').length).toBe(5);
    expect([...m.params['w']!]).toEqual([0, 0]);
    expect(Object.values(t.state).every((a) => a.every((v) => v === 0))).toBe(true);
    expect(t.t).toBe(0);
  });

  test('the true step number: after two good steps the failing one is step 3', () => {
    const m = compileOk(SQRT.replace('= zeros', '= ones')).model();
    const t = new Trainer(m, { optimizer: 'sgd', hyper: { lr: 0 } });
    t.step({ x });
    t.step({ x });
    m.params['w']!.fill(0);
    expect(e0404(() => t.step({ x })).message).toContain('at step 3');
    expect(t.t).toBe(2);
  });

  test("with two losses, the first loss's update is undone when the second fails", () => {
    const m = compileOk(`import nn
model Two {
  input x: f32[B, 2]
  layer a = nn.Dense(2, 1)
  param w: f32[2] = zeros
  loss first = mean(square(a(x))) trains a with adam(lr = 0.1)
  loss second = mean(sqrt(x * w * w)) trains w with sgd(lr = 0.1)
}`).model();
    const t = new Trainer(m);
    const before = JSON.stringify([m.params, t.state]);
    const d = e0404(() => t.step({ x }));
    expect(d.message).toContain("in the step of loss 'second'");
    expect(JSON.stringify([m.params, t.state])).toBe(before);
    expect(t.t).toBe(0);
  });

  test('dlm train stops with exit 1 instead of saving NaN parameters', async () => {
    const dir = scratchDir('dlm-guard-');
    const f = join(dir, 'root.dlm');
    writeFileSync(f, SQRT.replace('target', 'target').replace('input x: f32[B, 2]', 'input x: f32[B, 2]\n  target y: f32[B]'));
    const csv = join(dir, 'd.csv');
    writeFileSync(csv, 'a,b,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n');
    const e: string[] = [];
    const out: Out = { log: (s) => e.push(s), err: (s) => e.push(s), color: false, stderrIsTTY: false };
    const code = await main(['train', f, '--data', csv, '--epochs', '2', '--batch', '2', '--out', join(dir, 'root.safetensors')], out);
    expect(e.join('\n')).toMatch(/E0404/);
    expect(code).toBe(1);
  });
});
