// The source is untrusted: names from a .dlm file never reach generated JavaScript (only generated
// identifiers and validated numbers do), and hostile names behave like any other name.
import { describe, expect, test } from 'vitest';
import { compileOk } from './helpers/compile.js';

const HOSTILE = [
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'prototype',
  'eval',
  'Function',
  'process',
  'require',
  'arguments',
  'this_',
  'return_',
];

describe('hostile names', () => {
  test.each(HOSTILE)('inputs, params, layers and outputs named %s work and do not appear in the code', (name) => {
    const p = compileOk(`import nn
layer ${name === 'constructor' ? 'Ctor' : 'L'}(n) {
  param ${name}: f32[n] = ones
  fn forward(v) = v * ${name}
}
model M {
  input ${name}: f32[B, 3]
  layer ${name}_l = ${name === 'constructor' ? 'Ctor' : 'L'}(3)
  let ${name}_t = ${name}_l(${name})
  output ${name}_out = ${name}_t + 1
}`);
    const m = p.model();
    const out = m.forward({ [name]: { data: Float32Array.from([1, 2, 3, 4, 5, 6]), shape: [2, 3] } } as never, 'f64');
    expect([...out[`${name}_out`]!.data]).toEqual([2, 3, 4, 5, 6, 7]);
    const spec = m.run(m.ir.fn, { [name]: { data: new Float32Array(6), shape: [2, 3] } } as never);
    const code = spec.source
      .split('\n')
      .filter((l) => !l.trim().startsWith('//'))
      .join('\n');
    expect(code).not.toContain(name);
    expect(Object.getPrototypeOf(m.params)).toBe(Object.prototype);
  });

  test('a file path with comment terminators cannot escape the generated comments', () => {
    const p = compileOk('model M {\n  input x: f32[2]\n  output y = exp(x)\n}\n', '*/ process.exit(7) /* \n evil.dlm');
    const spec = p.model().run(p.model().ir.fn, { x: { data: new Float32Array(2), shape: [2] } });
    for (const line of spec.source.split('\n')) expect(line.includes('process.exit') && !line.trim().startsWith('//')).toBe(false);
    expect(spec.source).not.toContain('*/');
  });

  test('number literals reach the code only as numbers', () => {
    const p = compileOk('model M {\n  input x: f32[2]\n  output y = x * 1e300 * 1e-300 + 0x0\n}\n'.replace(' + 0x0', ' + 0'));
    const spec = p.model().run(p.model().ir.fn, { x: { data: Float32Array.from([1, 2]), shape: [2] } });
    expect(spec.source).toMatch(/1e\+300/);
  });
});

test('a model-level parameter named __proto__ is an ordinary parameter', () => {
  const p = compileOk('model M {\n  input x: f32[2]\n  param __proto__: f32[2] = ones\n  output y = x + __proto__\n}\n');
  const m = p.model();
  expect(Object.keys(m.params)).toEqual(['__proto__']);
  const out = m.forward({ x: { data: Float32Array.from([1, 2]), shape: [2] } }, 'f64');
  expect([...out['y']!.data]).toEqual([2, 3]);
  const g = m.run(m.ir.fn, { x: { data: Float32Array.from([1, 2]), shape: [2] } });
  expect([...g.outputs['y']!]).toEqual([2, 3]);
});
