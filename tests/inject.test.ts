// The checks can fail: with a deliberately wrong derivative injected into one op, `dlm gradcheck`
// exits non-zero and the random-program property finds a counterexample.
import fc from 'fast-check';
import { afterEach, expect, test } from 'vitest';
import { main } from '../compiler/cli.js';
import type { Out } from '../compiler/cli/io.js';
import { gradcheck } from '../compiler/api/gradcheck.js';
import { OPS } from '../compiler/ops/registry.js';
import type { OpDef } from '../compiler/ops/op.js';
import { programArb } from '../compiler/testing/programs.js';
import { compileOk } from './helpers/compile.js';

const tanh = OPS['tanh'] as { -readonly [K in keyof OpDef]: OpDef[K] };
const original = tanh.vjp;
afterEach(() => {
  tanh.vjp = original;
});

// tanh' = 1 − tanh², wrongly written as 1 − tanh
const inject = () => {
  tanh.vjp = (b, ct, n) => [b.op('mul', [ct, b.op('sub', [b.num(1), n.out])])];
};

test('dlm gradcheck exits 1 on a model whose op has a wrong derivative', async () => {
  const quiet: Out = { log: () => {}, err: () => {}, color: false, stderrIsTTY: false };
  expect(await main(['gradcheck', 'examples/xor.dlm'], quiet)).toBe(0);
  inject();
  const lines: string[] = [];
  expect(await main(['gradcheck', 'examples/xor.dlm'], { ...quiet, log: (s) => lines.push(s) })).toBe(1);
  expect(lines.join('\n')).toContain('FAIL');
});

test('the random-program property catches the wrong derivative', async () => {
  inject();
  const failures = fc.check(
    fc.property(programArb(2, 12), (p) => gradcheck(compileOk(p.source).model(), { directions: 1, elementwiseUpTo: 0 }).ok),
    { numRuns: 300, seed: 3 },
  );
  expect(failures.failed).toBe(true);
  // fast-check shrinks to a small program that still uses tanh
  expect((failures.counterexample![0] as { source: string }).source).toMatch(/tanh|gelu/);
});

test('gradcheck reports the f32 code separately from the symbolic rule', async () => {
  const m = compileOk('model M {\n  input x: f32[2, 3]\n  param w: f32[3] = normal(std = 1.0)\n  loss sum(tanh(x * w))\n}\n').model();
  expect(gradcheck(m).ok).toBe(true);
  inject();
  const bad = gradcheck(compileOk('model M {\n  input x: f32[2, 3]\n  param w: f32[3] = normal(std = 1.0)\n  loss sum(tanh(x * w))\n}\n').model());
  expect(bad.ok).toBe(false);
  expect(bad.params[0]!.maxRelError).toBeGreaterThan(1e-3);
});
