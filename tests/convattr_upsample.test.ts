// upsample / interpolate against PyTorch's F.interpolate (float64, values and gradients, plus finite
// differences): nearest (float32 index rule, non-integer and fractional factors), linear / bilinear /
// trilinear with and without align_corners, by size or by scale factor; and its located errors.
// Skipped, with the reason printed, when torch cannot be imported.
import { describe, expect, test } from 'vitest';
import { torchGroups, type ConvCase } from './helpers/convTorch.js';
import { nativeUnavailable } from '../compiler/native/backend.js';
import { compileErr, compileOk } from './helpers/compile.js';
import { torchUnavailable } from './helpers/torch.js';

const skip = torchUnavailable();
if (skip) console.warn(`tests/convattr_upsample.test.ts skipped: ${skip}`);

const nearest: ConvCase[] = [
  { dlm: 'upsample(a, scale_factor = 2)', torch: 'F.interpolate(A, scale_factor=2)', shapes: [[1, 2, 3, 4]] },
  { dlm: 'upsample(a, size = [5, 7])', torch: 'F.interpolate(A, size=(5, 7))', shapes: [[2, 1, 3, 4]] },
  {
    dlm: 'interpolate(a, scale_factor = [1.7, 0.6], mode = nearest)',
    torch: 'F.interpolate(A, scale_factor=(1.7, 0.6), mode="nearest")',
    shapes: [[1, 2, 4, 5]],
  },
  { dlm: 'upsample(a, size = 7)', torch: 'F.interpolate(A, size=7)', shapes: [[1, 3, 3]] },
  { dlm: 'upsample(a, scale_factor = [2, 1.5, 3])', torch: 'F.interpolate(A, scale_factor=(2, 1.5, 3))', shapes: [[1, 1, 2, 2, 3]] },
  // 10 → 6 and 10 → 12: the float32 scale and product round up to an integer at o = 3 and o = 6
  // (floor(fl(o·s)) = 5 where the exact product gives 4), as PyTorch's float32 index rule does
  { dlm: 'upsample(a, size = [6, 12])', torch: 'F.interpolate(A, size=(6, 12))', shapes: [[1, 1, 10, 10]] },
];
const linear: ConvCase[] = [
  { dlm: 'upsample(a, scale_factor = 2, mode = bilinear)', torch: 'F.interpolate(A, scale_factor=2, mode="bilinear")', shapes: [[1, 2, 3, 4]] },
  {
    dlm: 'upsample(a, scale_factor = 2, mode = bilinear, align_corners = true)',
    torch: 'F.interpolate(A, scale_factor=2, mode="bilinear", align_corners=True)',
    shapes: [[1, 2, 3, 4]],
  },
  { dlm: 'upsample(a, size = [5, 2], mode = bilinear)', torch: 'F.interpolate(A, size=(5, 2), mode="bilinear")', shapes: [[2, 1, 3, 4]] },
  {
    dlm: 'upsample(a, size = [1, 6], mode = bilinear, align_corners = true)',
    torch: 'F.interpolate(A, size=(1, 6), mode="bilinear", align_corners=True)',
    shapes: [[1, 1, 3, 4]],
  },
  {
    dlm: 'upsample(a, scale_factor = [1.3, 2.5], mode = bilinear)',
    torch: 'F.interpolate(A, scale_factor=(1.3, 2.5), mode="bilinear")',
    shapes: [[1, 2, 4, 3]],
  },
  { dlm: 'upsample(a, size = 9, mode = linear)', torch: 'F.interpolate(A, size=9, mode="linear")', shapes: [[2, 2, 4]] },
  {
    dlm: 'upsample(a, scale_factor = 3, mode = linear, align_corners = true)',
    torch: 'F.interpolate(A, scale_factor=3, mode="linear", align_corners=True)',
    shapes: [[1, 2, 3]],
  },
  { dlm: 'upsample(a, size = [3, 4, 2], mode = trilinear)', torch: 'F.interpolate(A, size=(3, 4, 2), mode="trilinear")', shapes: [[1, 2, 2, 3, 3]] },
  {
    dlm: 'upsample(a, scale_factor = 2, mode = trilinear, align_corners = true)',
    torch: 'F.interpolate(A, scale_factor=2, mode="trilinear", align_corners=True)',
    shapes: [[1, 1, 2, 2, 3]],
  },
];

describe.skipIf(skip !== undefined)('upsample against PyTorch', () => {
  const check = torchGroups({ nearest, linear });
  test('nearest: by size and by integer, fractional and per-axis factors, 1-D to 3-D', () => check('nearest'));
  test('linear, bilinear, trilinear, with and without align_corners', () => check('linear'));
});

const net = (body: string, input: string) => `model M {\n  input x: ${input}\n  ${body}\n}`;

describe('upsample errors', () => {
  test.each([
    ['upsample(x)', 'exactly one of size and scale_factor'],
    ['upsample(x, size = 4, scale_factor = 2)', 'exactly one of size and scale_factor'],
    ['upsample(x, scale_factor = 2, mode = trilinear)', 'mode trilinear needs a 5-D input; the input [B, 2, 4, 4] is 4-D (use bilinear)'],
    ['upsample(x, scale_factor = 2, align_corners = true)', 'align_corners applies to the linear modes only'],
    ['upsample(x, scale_factor = 0.1)', 'scale_factor 0.1 gives 0 positions from 4 on axis 2 of [B, 2, 4, 4]'],
    ['upsample(x, scale_factor = [2, 2, 2])', 'scale_factor takes a number or a list of 2, found a list of 3'],
  ])('%s', (call, message) => {
    const ds = compileErr(net(`output y = ${call}`, 'f32[B, 2, 4, 4]'));
    expect(ds[0]!.code).toBe('E0254');
    expect(ds[0]!.message).toContain(message);
  });
});

// The new kernels (N-D max pooling with dilation and ceil mode, upsampling with its float32 index rule and
// their adjoints) on the native C backend equal the JavaScript backend.
const why = nativeUnavailable();
if (why) console.warn(`tests/convattr_upsample.test.ts: native backend case skipped: ${why}`);
describe.skipIf(why !== undefined)('native backend', () => {
  test('pooling and upsampling kernels, forward and gradients, equal the JavaScript backend', () => {
    const src = `fn f(x) = sum(square(upsample(x, size = [6, 12]))) + sum(square(max_pool2d(x, 3, stride = 2, padding = 1, dilation = 2, ceil_mode = true)))
  + sum(upsample(x, scale_factor = [1.5, 2], mode = bilinear, align_corners = true) * x[0, 0, 0, 0])
  + sum(max_pool3d(expand_dims(x, 2), [1, 2, 2], ceil_mode = true, stride = [1, 3, 3]))
model M {
  input x: f32[2, 2, 10, 10]
  output y = f(x)
  output g = grad(f)(x)
}`;
    const r = compileOk(src);
    const x = { data: Float32Array.from({ length: 400 }, (_, i) => Math.sin(i * 1.37)), shape: [2, 2, 10, 10] };
    for (const precision of ['f64', 'f32'] as const) {
      const [js, nat] = (['js', 'native'] as const).map((backend) => r.model(undefined, { backend }).forward({ x }, precision));
      for (const k of ['y', 'g']) {
        const a = js![k]!.data,
          b = nat![k]!.data;
        expect(b.length).toBe(a.length);
        const tol = precision === 'f64' ? 1e-12 : 1e-4;
        for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!), `${precision} ${k}[${i}]`).toBeLessThanOrEqual(tol * (1 + Math.abs(a[i]!)));
      }
    }
  });
});
