// Pooling attributes against PyTorch (float64, values and gradients, plus finite differences): dilation,
// ceil_mode (the last window starts inside the input or the left padding), count_include_pad and
// divisor_override for average pooling, asymmetric padding, 1-D and 3-D pooling, with edge cases: a
// window larger than the input (with padding), ceil mode with stride > kernel, dilation 2.
// Skipped, with the reason printed, when torch cannot be imported.
import { describe, test } from 'vitest';
import { torchGroups, type ConvCase } from './helpers/convTorch.js';
import { torchUnavailable } from './helpers/torch.js';

const skip = torchUnavailable();
if (skip) console.warn(`tests/convattr.test.ts skipped: ${skip}`);

const X = [1, 2, 5, 5];
const maxCases: ConvCase[] = [
  { dlm: 'max_pool2d(a, 3, stride = 2, padding = 1, dilation = 2)', torch: 'F.max_pool2d(A, 3, 2, 1, dilation=2)', shapes: [[1, 2, 7, 6]] },
  { dlm: 'max_pool2d(a, 2, stride = 2, ceil_mode = true)', torch: 'F.max_pool2d(A, 2, 2, ceil_mode=True)', shapes: [X] },
  // stride larger than the window, ceil mode: the last window is ragged
  { dlm: 'max_pool2d(a, 2, stride = 3, ceil_mode = true)', torch: 'F.max_pool2d(A, 2, 3, ceil_mode=True)', shapes: [[1, 1, 7, 8]] },
  // the ceil-mode window that would start in the right padding is dropped
  { dlm: 'max_pool2d(a, 3, stride = 2, padding = 1, ceil_mode = true)', torch: 'F.max_pool2d(A, 3, 2, 1, ceil_mode=True)', shapes: [[2, 1, 6, 5]] },
  // a window larger than the input, with padding
  { dlm: 'max_pool2d(a, 4, stride = 1, padding = 1)', torch: 'F.max_pool2d(A, 4, 1, 1)', shapes: [[1, 2, 3, 3]] },
  {
    dlm: 'max_pool2d(a, [2, 3], stride = [1, 2], padding = [1, 1], dilation = [2, 1], ceil_mode = true)',
    torch: 'F.max_pool2d(A, (2, 3), (1, 2), (1, 1), dilation=(2, 1), ceil_mode=True)',
    shapes: [X],
  },
  // asymmetric padding [top, bottom, left, right]: padding never wins a window
  { dlm: 'max_pool2d(a, 3, stride = 2, padding = [0, 2, 1, 0])', torch: 'F.max_pool2d(F.pad(A, (1, 0, 0, 2), value=-float("inf")), 3, 2)', shapes: [X] },
  {
    dlm: 'max_pool1d(a, 3, stride = 2, padding = 1, dilation = 2, ceil_mode = true)',
    torch: 'F.max_pool1d(A, 3, 2, 1, dilation=2, ceil_mode=True)',
    shapes: [[2, 3, 8]],
  },
  {
    dlm: 'max_pool3d(a, 2, stride = [1, 2, 2], padding = [1, 0, 1], ceil_mode = true)',
    torch: 'F.max_pool3d(A, 2, (1, 2, 2), (1, 0, 1), ceil_mode=True)',
    shapes: [[1, 2, 3, 4, 5]],
  },
  { dlm: 'max_pool3d(a, [2, 3, 2], stride = 2, dilation = [1, 2, 1])', torch: 'F.max_pool3d(A, (2, 3, 2), 2, dilation=(1, 2, 1))', shapes: [[2, 1, 4, 6, 4]] },
];

const avgCases: ConvCase[] = [
  { dlm: 'avg_pool2d(a, 3, stride = 2, padding = 1)', torch: 'F.avg_pool2d(A, 3, 2, 1)', shapes: [X] },
  { dlm: 'avg_pool2d(a, 3, stride = 2, padding = 1, count_include_pad = false)', torch: 'F.avg_pool2d(A, 3, 2, 1, count_include_pad=False)', shapes: [X] },
  { dlm: 'avg_pool2d(a, 3, stride = 2, padding = 1, ceil_mode = true)', torch: 'F.avg_pool2d(A, 3, 2, 1, ceil_mode=True)', shapes: [[1, 2, 6, 6]] },
  {
    dlm: 'avg_pool2d(a, 3, stride = 2, padding = 1, ceil_mode = true, count_include_pad = false)',
    torch: 'F.avg_pool2d(A, 3, 2, 1, ceil_mode=True, count_include_pad=False)',
    shapes: [[1, 2, 6, 6]],
  },
  { dlm: 'avg_pool2d(a, 2, stride = 3, ceil_mode = true)', torch: 'F.avg_pool2d(A, 2, 3, ceil_mode=True)', shapes: [[1, 1, 7, 8]] },
  {
    dlm: 'avg_pool2d(a, 4, stride = 1, padding = 2, count_include_pad = false)',
    torch: 'F.avg_pool2d(A, 4, 1, 2, count_include_pad=False)',
    shapes: [[1, 1, 3, 3]],
  },
  {
    dlm: 'avg_pool2d(a, [2, 3], stride = [2, 1], padding = [1, 1], ceil_mode = true, divisor_override = 5)',
    torch: 'F.avg_pool2d(A, (2, 3), (2, 1), (1, 1), ceil_mode=True, divisor_override=5)',
    shapes: [X],
  },
  // asymmetric padding counted as zeros (floor mode: every window lies in the padded input)
  { dlm: 'avg_pool2d(a, 3, stride = 2, padding = [0, 2, 1, 0])', torch: 'F.avg_pool2d(F.pad(A, (1, 0, 0, 2)), 3, 2)', shapes: [X] },
  {
    dlm: 'avg_pool1d(a, 3, stride = 2, padding = 1, ceil_mode = true, count_include_pad = false)',
    torch: 'F.avg_pool1d(A, 3, 2, 1, ceil_mode=True, count_include_pad=False)',
    shapes: [[2, 3, 8]],
  },
  {
    dlm: 'avg_pool3d(a, 2, stride = [1, 2, 2], padding = 1, ceil_mode = true)',
    torch: 'F.avg_pool3d(A, 2, (1, 2, 2), 1, ceil_mode=True)',
    shapes: [[1, 2, 3, 4, 5]],
  },
  {
    dlm: 'avg_pool3d(a, [3, 2, 2], stride = 2, padding = [1, 0, 1], count_include_pad = false)',
    torch: 'F.avg_pool3d(A, (3, 2, 2), 2, (1, 0, 1), count_include_pad=False)',
    shapes: [[1, 2, 5, 4, 5]],
  },
];

// second derivatives through pooling: y = ∂/∂a Σ pool(a²)², differentiated again (PyTorch's double backward)
const secondCases: ConvCase[] = [
  {
    fns: 'fn p(v) = sum(square(max_pool2d(v * v, 3, stride = 2, padding = 1, dilation = 2, ceil_mode = true)))',
    dlm: 'grad(p)(a)',
    torch: 'torch.autograd.grad((F.max_pool2d(A * A, 3, 2, 1, dilation=2, ceil_mode=True) ** 2).sum(), A, create_graph=True)[0]',
    shapes: [[1, 2, 6, 7]],
  },
  {
    fns: 'fn p(v) = sum(square(max_pool3d(v * v, 2, stride = [1, 2, 2], ceil_mode = true)))',
    dlm: 'grad(p)(a)',
    torch: 'torch.autograd.grad((F.max_pool3d(A * A, 2, (1, 2, 2), ceil_mode=True) ** 2).sum(), A, create_graph=True)[0]',
    shapes: [[1, 1, 3, 4, 5]],
  },
  {
    fns: 'fn p(v) = sum(square(avg_pool2d(v * v, 3, stride = 2, padding = 1, ceil_mode = true, count_include_pad = false)))',
    dlm: 'grad(p)(a)',
    torch: 'torch.autograd.grad((F.avg_pool2d(A * A, 3, 2, 1, ceil_mode=True, count_include_pad=False) ** 2).sum(), A, create_graph=True)[0]',
    shapes: [[1, 2, 6, 6]],
  },
];

describe.skipIf(skip !== undefined)('pooling against PyTorch', () => {
  const check = torchGroups({ max: maxCases, avg: avgCases, second: secondCases });
  test('second derivatives through max and average pooling (PyTorch double backward)', () => check('second'));
  test('max pooling: dilation, ceil_mode, asymmetric padding, 1-D and 3-D', () => check('max'));
  test('average pooling: count_include_pad, ceil_mode divisors, divisor_override, asymmetric padding, 1-D and 3-D', () => check('avg'));
});
