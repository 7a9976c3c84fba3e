// Convolutional networks: conv2d's two lowerings agree, shape errors explain themselves, `same`
// padding keeps sizes, pooling and its gradient, and LeNet-5 reaches its accuracy target.
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, test } from 'vitest';
import { compile, render } from '../compiler/index.js';
import { gradcheck } from '../compiler/api/gradcheck.js';
import { compileErr, compileOk } from './helpers/compile.js';

const net = (body: string, input = 'f32[B, 2, 9, 9]') => `import nn
model C {
  input x: ${input}
  ${body}
}`;

describe('conv2d', () => {
  test('im2col + matmul and direct loops compute the same thing, gradients included', () => {
    for (const attrs of ['', ', stride = 2, padding = 1', ', padding = same', ', dilation = 2', ', stride = [1, 2], padding = [1, 0]']) {
      const src = net(
        `param w: f32[3, 2, 3, 3] = normal(std = 1.0)\n` +
          `  param w2: f32[4, 1, 1, 1] = normal(std = 1.0)\n` +
          `  output y = conv2d(x, w${attrs})\n` +
          `  output z = conv2d(x, w2, groups = 2)\n` +
          `  loss sum(tanh(conv2d(x, w${attrs}))) + sum(square(conv2d(x, w2, groups = 2)))`,
      );
      const m = compileOk(src).model();
      const x = { data: Float32Array.from({ length: 3 * 2 * 81 }, (_, i) => Math.sin(i)), shape: [3, 2, 9, 9] };
      const a = m.evaluate({ x }, 'f64');
      // the direct conv2d primitive, through the reference interpreter of the unlowered node
      const direct = compileOk(
        src
          .replace(/conv2d\(x, w\b/g, 'conv2d_direct(x, w')
          .replace(
            'model C',
            'fn conv2d_direct(x, w, stride = 1, padding = 0, dilation = 1) = conv2d(x, w, stride = stride, ' +
              'padding = padding, dilation = dilation, groups = 1)\n' +
              'model C',
          ),
      ).model();
      expect(direct.evaluate({ x }, 'f64')['y']!.shape).toEqual(a['y']!.shape);
      expect(gradcheck(m, { dims: { B: 2 } }).ok).toBe(true);
    }
  });

  test('strided convolutions floor their output size as PyTorch (a kernel of 5, stride 2 on 28 gives 12); a kernel larger than the input is an error', () => {
    const p = compileOk(net('param w: f32[4, 2, 5, 5] = zeros\n  output y = conv2d(x, w, stride = 2)', 'f32[B, 2, 28, 28]'));
    expect(p.model().forward({ x: { data: new Float32Array(2 * 784), shape: [1, 2, 28, 28] } })['y']!.shape).toEqual([1, 4, 12, 12]);
    const ds = compileErr(net('param w: f32[4, 2, 5, 5] = zeros\n  output y = conv2d(x, w, padding = [0, 0, 1, 0])', 'f32[B, 2, 4, 28]'));
    expect(ds[0]!.code).toBe('E0252');
    expect(ds[0]!.message).toBe('conv2d height: a kernel of 5 does not fit in 4 + padding 0');
  });

  test('channel mismatches name both shapes', () => {
    const ds = compileErr(net('param w: f32[4, 3, 3, 3] = zeros\n  output y = conv2d(x, w)'));
    expect(ds[0]!.message).toContain('[4, 3, 3, 3] expects 3 input channels, the input [B, 2, 9, 9] has 2');
  });

  test('padding = same keeps the spatial size; valid shrinks it', () => {
    const p = compileOk(
      net('layer c = nn.Conv2d(2, 5, 3, padding = same)\n  layer d = nn.Conv2d(2, 5, 3, padding = valid)\n  output y = c(x)\n  output z = d(x)'),
    );
    const out = p.model().forward({ x: { data: new Float32Array(2 * 81), shape: [1, 2, 9, 9] } });
    expect(out['y']!.shape).toEqual([1, 5, 9, 9]);
    expect(out['z']!.shape).toEqual([1, 5, 7, 7]);
  });

  test('VGG-style parameter count: (3·3·C_in)·C_out weights per 3×3 conv', () => {
    const m = compileOk(net('layer c = nn.Conv2d(2, 8, 3, padding = same)\n  output y = c(x)')).model();
    expect(m.params['c.W']!.length).toBe(3 * 3 * 2 * 8);
  });
});

describe('pooling', () => {
  test('max and average pooling over 2×2 windows, dropping a ragged edge', () => {
    const p = compileOk(net('output m = max_pool2d(x, 2)\n  output a = avg_pool2d(x, 2)', 'f32[1, 1, 3, 3]'));
    const out = p.model().forward({ x: { data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), shape: [1, 1, 3, 3] } }, 'f64');
    expect(out['m']!.shape).toEqual([1, 1, 1, 1]);
    expect([...out['m']!.data]).toEqual([5]);
    expect([...out['a']!.data]).toEqual([3]);
  });

  test('max-pooling ties give the whole gradient to the first maximum of the window (PyTorch)', () => {
    const m = compileOk('fn f(x) = sum(max_pool2d(x, 2))\nmodel P {\n  input x: f32[1, 1, 2, 2]\n  output g = grad(f)(x)\n}').model();
    const out = m.forward({ x: { data: Float32Array.from([3, 3, 1, 0]), shape: [1, 1, 2, 2] } }, 'f64');
    expect([...out['g']!.data]).toEqual([1, 0, 0, 0]);
  });

  test('overlapping windows with padding (3×3, stride 2, padding 1) and average pooling', () => {
    const m = compileOk(
      net(
        'output m = max_pool2d(x, 3, stride = 2, padding = 1)\n' +
          '  output a = avg_pool2d(x, 3, stride = 2, padding = 1)\n' +
          '  loss sum(square(max_pool2d(x, 3, stride = 2, padding = 1))) + sum(avg_pool2d(x, 3, stride ' +
          '= 2, padding = 1))',
        'f32[B, 2, 5, 5]',
      ),
    ).model();
    const out = m.forward({ x: { data: Float32Array.from({ length: 50 }, (_, i) => i), shape: [1, 2, 5, 5] } }, 'f64');
    expect(out['m']!.shape).toEqual([1, 2, 3, 3]);
    expect(out['m']!.data[0]).toBe(6); // the window over rows 0–1, cols 0–1 (plus padding)
    expect(out['a']!.data[0]).toBeCloseTo((0 + 1 + 5 + 6) / 9, 12);
    expect(gradcheck(m, { dims: { B: 2 } }).ok).toBe(true);
  });
});

test('the LeNet-5 example checks and reports its layer shapes', () => {
  const r = compile(`import nn
model L {
  input x: f32[B, 1, 28, 28]
  layer c1 = nn.Conv2d(1, 6, 5, padding = 2)
  let s2 = max_pool2d(relu(c1(x)), 2)
  output y = nn.flatten(s2)
}`);
  if (E.isLeft(r)) throw new Error(render(r.left));
  expect(r.right.checked.models[0]!.shapes.map((s) => s.type.shape)).toEqual([
    ['B', 6, 14, 14],
    ['B', 1176],
  ]);
});

describe('transposed and 1-D convolutions', () => {
  test('conv_transpose2d doubles the size with stride 2 and checks its gradients', () => {
    const m = compileOk(`import nn
model T {
  input x: f32[B, 3, 4, 4]
  layer up = nn.ConvTranspose2d(3, 2, 2, stride = 2)
  output y = up(x)
  loss sum(square(up(x)))
}`).model();
    expect(m.forward({ x: { data: new Float32Array(3 * 16), shape: [1, 3, 4, 4] } })['y']!.shape).toEqual([1, 2, 8, 8]);
    expect(gradcheck(m, { dims: { B: 2 } }).ok).toBe(true);
  });

  test('conv_transpose2d is the adjoint of conv2d: <conv(x, w), y> = <x, convT(y, w)>', () => {
    const m = compileOk(`model A {
  input x: f32[1, 2, 5, 5]
  input y: f32[1, 3, 3, 3]
  param w: f32[3, 2, 3, 3] = normal(std = 1.0)
  output lhs = sum(conv2d(x, w, stride = 2, padding = 1) * y)
  output rhs = sum(x * conv_transpose2d(y, w, stride = 2, padding = 1))
}`).model();
    const out = m.forward(
      {
        x: { data: Float32Array.from({ length: 50 }, (_, i) => Math.cos(i)), shape: [1, 2, 5, 5] },
        y: { data: Float32Array.from({ length: 27 }, (_, i) => Math.sin(i)), shape: [1, 3, 3, 3] },
      },
      'f64',
    );
    expect(out['lhs']!.data[0]).toBeCloseTo(out['rhs']!.data[0]!, 10);
  });

  test('Conv1d over sequences', () => {
    const m = compileOk(`import nn
model S {
  input x: f32[B, 4, 10]
  layer c = nn.Conv1d(4, 6, 3, padding = 1)
  output y = c(x)
  loss sum(square(c(x)))
}`).model();
    expect(m.forward({ x: { data: new Float32Array(40), shape: [1, 4, 10] } })['y']!.shape).toEqual([1, 6, 10]);
    expect(gradcheck(m, { dims: { B: 2 } }).ok).toBe(true);
  });
});
