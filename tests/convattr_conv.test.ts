// Convolution attributes against PyTorch (float64, values and gradients for input and filter, plus finite
// differences): conv1d padding/stride/dilation/groups/same, conv2d dilation and asymmetric padding,
// conv3d, and conv_transpose2d with groups, output_padding, dilation and asymmetric padding.
// Skipped, with the reason printed, when torch cannot be imported.
import { describe, expect, test } from 'vitest';
import { torchGroups, type ConvCase } from './helpers/convTorch.js';
import { gradcheck } from '../compiler/api/gradcheck.js';
import { compileErr, compileOk } from './helpers/compile.js';
import { torchUnavailable } from './helpers/torch.js';

const skip = torchUnavailable();
if (skip) console.warn(`tests/convattr_conv.test.ts skipped: ${skip}`);

const conv1d: ConvCase[] = [
  {
    dlm: 'conv1d(a, b, stride = 2, padding = 1, dilation = 2)',
    torch: 'F.conv1d(A, B, stride=2, padding=1, dilation=2)',
    shapes: [
      [2, 3, 9],
      [4, 3, 3],
    ],
  },
  {
    dlm: 'conv1d(a, b, groups = 2, padding = [2, 0])',
    torch: 'F.conv1d(F.pad(A, (2, 0)), B, groups=2)',
    shapes: [
      [1, 4, 7],
      [6, 2, 3],
    ],
  },
  {
    dlm: 'conv1d(a, b, padding = same, dilation = 2)',
    torch: 'F.conv1d(A, B, padding="same", dilation=2)',
    shapes: [
      [1, 2, 8],
      [3, 2, 4],
    ],
  },
];
// floor mode (PyTorch's): the ragged end is dropped; issue 20's nn.Conv1d(…, 3, stride = 2, padding = 1) on length 28
const floor: ConvCase[] = [
  {
    dlm: 'conv1d(a, b, stride = 2, padding = 1)',
    torch: 'F.conv1d(A, B, stride=2, padding=1)',
    shapes: [
      [1, 2, 28],
      [3, 2, 3],
    ],
  },
  {
    dlm: 'conv2d(a, b, stride = 2)',
    torch: 'F.conv2d(A, B, stride=2)',
    shapes: [
      [1, 1, 8, 9],
      [2, 1, 5, 5],
    ],
  },
  {
    dlm: 'conv2d(a, b, stride = 3, padding = [2, 2, 0, 3], dilation = [1, 2])',
    torch: 'F.conv2d(F.pad(A, (0, 3, 2, 2)), B, stride=3, dilation=(1, 2))',
    shapes: [
      [1, 2, 6, 7],
      [2, 2, 2, 2],
    ],
  },
  {
    dlm: 'conv3d(a, b, stride = [2, 3, 2], padding = 1)',
    torch: 'F.conv3d(A, B, stride=(2, 3, 2), padding=1)',
    shapes: [
      [1, 2, 4, 5, 6],
      [2, 2, 2, 2, 3],
    ],
  },
];
const conv2d: ConvCase[] = [
  {
    dlm: 'conv2d(a, b, dilation = 2, padding = [2, 1, 0, 3], stride = [1, 2])',
    torch: 'F.conv2d(F.pad(A, (0, 3, 2, 1)), B, dilation=2, stride=(1, 2))',
    shapes: [
      [1, 2, 6, 6],
      [3, 2, 2, 3],
    ],
  },
  {
    dlm: 'conv2d(a, b, groups = 3, dilation = [1, 2], padding = 1)',
    torch: 'F.conv2d(A, B, groups=3, dilation=(1, 2), padding=1)',
    shapes: [
      [2, 3, 5, 6],
      [6, 1, 3, 2],
    ],
  },
];
const conv3d: ConvCase[] = [
  {
    dlm: 'conv3d(a, b, padding = 1)',
    torch: 'F.conv3d(A, B, padding=1)',
    shapes: [
      [1, 2, 3, 4, 4],
      [3, 2, 3, 3, 3],
    ],
  },
  {
    dlm: 'conv3d(a, b, stride = [2, 1, 2], dilation = [2, 1, 1], padding = [1, 0, 1])',
    torch: 'F.conv3d(A, B, stride=(2, 1, 2), dilation=(2, 1, 1), padding=(1, 0, 1))',
    shapes: [
      [2, 2, 5, 3, 5],
      [2, 2, 2, 2, 3],
    ],
  },
  {
    dlm: 'conv3d(a, b, groups = 2, padding = [1, 0, 0, 1, 2, 0], stride = 3)',
    torch: 'F.conv3d(F.pad(A, (2, 0, 0, 1, 1, 0)), B, groups=2, stride=3)',
    shapes: [
      [1, 4, 6, 4, 6],
      [4, 2, 1, 2, 2],
    ],
  },
];
const transposed: ConvCase[] = [
  {
    dlm: 'conv_transpose2d(a, b, stride = 2, padding = 1, output_padding = 1)',
    torch: 'F.conv_transpose2d(A, B, stride=2, padding=1, output_padding=1)',
    shapes: [
      [1, 3, 3, 4],
      [3, 2, 3, 3],
    ],
  },
  {
    dlm: 'conv_transpose2d(a, b, groups = 2, stride = [2, 3], output_padding = [1, 2])',
    torch: 'F.conv_transpose2d(A, B, groups=2, stride=(2, 3), output_padding=(1, 2))',
    shapes: [
      [2, 4, 3, 3],
      [4, 3, 2, 2],
    ],
  },
  {
    dlm: 'conv_transpose2d(a, b, dilation = 2, padding = [1, 0], groups = 3, stride = 2, output_padding = 1)',
    torch: 'F.conv_transpose2d(A, B, dilation=2, padding=(1, 0), groups=3, stride=2, output_padding=1)',
    shapes: [
      [1, 3, 4, 3],
      [3, 2, 3, 2],
    ],
  },
  // asymmetric padding crops the full transposed output: top 1, bottom 0, left 0, right 2
  {
    dlm: 'conv_transpose2d(a, b, stride = 2, padding = [1, 0, 0, 2])',
    torch: 'F.conv_transpose2d(A, B, stride=2)[:, :, 1:, :-2]',
    shapes: [
      [1, 2, 3, 3],
      [2, 2, 3, 3],
    ],
  },
];

describe.skipIf(skip !== undefined)('convolutions against PyTorch', () => {
  const check = torchGroups({ conv1d, conv2d, conv3d, transposed, floor });
  test('conv1d: stride, padding, dilation, groups, same', () => check('conv1d'));
  test('conv2d: dilation, asymmetric padding, groups', () => check('conv2d'));
  test('conv3d: stride, padding, dilation, groups, asymmetric padding', () => check('conv3d'));
  test('conv_transpose2d: groups, output_padding, dilation, asymmetric padding', () => check('transposed'));
  test('floor mode for strided convolutions, 1-D to 3-D', () => check('floor'));
});

const net = (body: string, input = 'f32[B, 2, 8, 8]') => `model M {\n  input x: f32[${input.slice(4, -1)}]\n  ${body}\n}`;

describe('located shape errors naming both shapes', () => {
  test('pool padding lists: the message names the forms that work', () => {
    const ds = compileErr(net('output y = max_pool2d(x, 2, padding = [1, 0, 1])'));
    expect(ds[0]!.code).toBe('E0250');
    expect(ds[0]!.message).toBe('padding takes a number, [ph, pw] or [top, bottom, left, right], found a list of 3');
  });
  test('conv3d channel and group mismatches', () => {
    const ds = compileErr(net('param w: f32[4, 3, 3, 3, 3] = zeros\n  output y = conv3d(x, w)', 'f32[B, 2, 5, 8, 8]'));
    expect(ds[0]!.code).toBe('E0251');
    expect(ds[0]!.message).toContain('the filter [4, 3, 3, 3, 3] expects 3 input channels, the input [B, 2, 5, 8, 8] has 2');
    expect(ds[0]!.notes.map((n) => n.message)).toEqual(['the input is [B, 2, 5, 8, 8]', 'the filter is [4, 3, 3, 3, 3]']);
    const g = compileErr(net('param w: f32[3, 1, 3, 3] = zeros\n  output y = conv2d(x, w, groups = 2)'));
    expect(g[0]!.message).toContain('groups = 2 must divide the 2 input and 3 output channels');
  });
  test('a window larger than the padded input; padding beyond the window', () => {
    const ds = compileErr(net('output y = avg_pool2d(x, 4, padding = 1)', 'f32[B, 2, 1, 8]'));
    expect(ds[0]!.code).toBe('E0252');
    expect(ds[0]!.message).toContain('a window of 4 does not fit in 1 (height) with padding 1+1');
    const p = compileErr(net('output y = max_pool2d(x, 2, padding = [0, 2, 0, 0])'));
    expect(p[0]!.message).toContain('padding 0+2 (height) is more than a window of 2 can overlap');
  });
  test('conv_transpose2d output_padding must be smaller than the stride or dilation (PyTorch)', () => {
    const ds = compileErr(net('param w: f32[2, 2, 3, 3] = zeros\n  output y = conv_transpose2d(x, w, stride = 2, output_padding = 2)'));
    expect(ds[0]!.code).toBe('E0253');
  });
});

describe('layers and issue 20’s conv1d conventions', () => {
  test('nn.Conv1d(…, 3, stride = 2, padding = 1) on length 28 gives 14 (PyTorch floors); padding = same keeps 28', () => {
    const m = compileOk(`import nn
model S {
  input x: f32[B, 4, 28]
  layer c = nn.Conv1d(4, 4, 3, stride = 2, padding = 1)
  layer s = nn.Conv1d(4, 6, 4, padding = same, dilation = 2, groups = 2)
  output y = c(x)
  output z = s(x)
}`).model();
    const out = m.forward({ x: { data: new Float32Array(4 * 28), shape: [1, 4, 28] } });
    expect(out['y']!.shape).toEqual([1, 4, 14]);
    expect(out['z']!.shape).toEqual([1, 6, 28]);
    expect(m.params['s.W']!.length).toBe(6 * 2 * 4);
  });
  test('conv1d errors name conv1d and the 3-D shapes the user wrote', () => {
    const ds = compileErr('model S {\n  input x: f32[B, 4, 28]\n  param w: f32[4, 3, 3] = zeros\n  output y = conv1d(x, w)\n}');
    expect(ds[0]!.code).toBe('E0251');
    expect(ds[0]!.message).toBe('conv1d: the filter [4, 3, 3] expects 3 input channels, the input [B, 4, 28] has 4');
    const k = compileErr('model S {\n  input x: f32[B, 4, 2]\n  param w: f32[4, 4, 5] = zeros\n  output y = conv1d(x, w, padding = 1)\n}');
    expect(k[0]!.message).toBe('conv1d: a kernel of 5 does not fit in 2 + padding 2');
  });
  test('nn.Conv3d and a grouped nn.ConvTranspose2d with output_padding: shapes, parameters and gradients', () => {
    const m = compileOk(`import nn
model V {
  input x: f32[B, 2, 3, 4, 4]
  input u: f32[B, 4, 3, 3]
  layer c = nn.Conv3d(2, 3, 2, padding = 1, stride = 2)
  layer t = nn.ConvTranspose2d(4, 6, 3, stride = 2, output_padding = 1, groups = 2)
  output y = c(x)
  output z = t(u)
  loss sum(square(c(x))) + sum(square(t(u)))
}`).model();
    const out = m.forward({ x: { data: new Float32Array(96), shape: [1, 2, 3, 4, 4] }, u: { data: new Float32Array(36), shape: [1, 4, 3, 3] } });
    expect(out['y']!.shape).toEqual([1, 3, 2, 3, 3]);
    expect(out['z']!.shape).toEqual([1, 6, 8, 8]);
    expect(m.params['t.W']!.length).toBe(4 * 3 * 3 * 3);
    expect(gradcheck(m, { dims: { B: 2 } }).ok).toBe(true);
  });
});
