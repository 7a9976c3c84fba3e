// Every nn loss against torch.nn.functional in float64, values and gradients (one Python process):
// reduction = mean | sum | none, cross-entropy's ignore_index and label_smoothing, BCE's pos_weight, BCE
// on probabilities at exactly 0 and 1 (PyTorch clamps each log at −100), hinge's tie at y·ŷ = 1. Without
// torch, the hand-computed expectations below still run.
import { beforeAll, describe, expect, test } from 'vitest';
import { compileOk } from './helpers/compile.js';
import { maxRelErr, runTorch } from './helpers/torchParity.js';

const Z = [2.0, -1.0, 0.5, 0.3, 0.3, 0.3, -4.0, 8.0, 1.0, 0.0, 1.5, -2.5];
const Y = [0, 1, 2, 1];
const P = [0.9, 0.0, 1.0, 0.25, 0.5, 0.75, 1e-30, 0.999999, 0.1, 0.6, 0.4, 0.2];
const TT = [1, 0, 1, 0, 1, 1, 1, 0, 0, 1, 0, 1];
const S = [1, -1, 1, -1];
const H = [1.0, -1.0, 0.25, 2.0]; // y·ŷ = 1 at the first two: the hinge's tie

// [dlm loss body, which argument the gradient is taken for, the torch expression]
const CASES: [string, number, string][] = [
  ['nn.cross_entropy(z, y)', 0, 'F.cross_entropy(z, y)'],
  ['nn.cross_entropy(z, y, reduction = none)', 0, "F.cross_entropy(z, y, reduction='none')"],
  ['nn.cross_entropy(z, y, reduction = sum, ignore_index = 1)', 0, "F.cross_entropy(z, y, reduction='sum', ignore_index=1)"],
  ['nn.cross_entropy(z, y, ignore_index = 1, label_smoothing = 0.2)', 0, 'F.cross_entropy(z, y, ignore_index=1, label_smoothing=0.2)'],
  [
    'nn.cross_entropy(z, y, reduction = none, ignore_index = 2, label_smoothing = 0.1)',
    0,
    "F.cross_entropy(z, y, reduction='none', ignore_index=2, label_smoothing=0.1)",
  ],
  ['nn.bce_with_logits(z, t, pos_weight = 3.0)', 0, 'F.binary_cross_entropy_with_logits(z, t, pos_weight=torch.tensor(3.0))'],
  ['nn.bce_with_logits(z, t, reduction = none)', 0, "F.binary_cross_entropy_with_logits(z, t, reduction='none')"],
  ['nn.binary_cross_entropy(p, t)', 2, 'F.binary_cross_entropy(p, t)'],
  ['nn.binary_cross_entropy(p, t, reduction = sum)', 2, "F.binary_cross_entropy(p, t, reduction='sum')"],
  ['nn.mse(z, p, reduction = sum)', 0, "F.mse_loss(z, p, reduction='sum')"],
  ['nn.mae(z, p, reduction = none)', 0, "F.l1_loss(z, p, reduction='none')"],
  ['nn.hinge(h, s)', 5, 'torch.clamp(1 - s * h, min=0).mean()'],
  ['nn.softmax_cross_entropy(z, p, reduction = sum)', 0, "F.cross_entropy(z, p, reduction='sum')"],
  ['nn.kl_div_log(log_softmax(z), log_softmax(p))', 0, "F.kl_div(F.log_softmax(p, -1), F.log_softmax(z, -1), reduction='batchmean', log_target=True)"],
];

const SRC = `import nn
${CASES.map(([body], i) => `fn f${i}(z, y, p, t, s, h) = sum(${body})`).join('\n')}
model L {
  input z: f32[4, 3]
  input y: i32[4]
  input p: f32[4, 3]
  input t: f32[4, 3]
  input s: f32[4]
  input h: f32[4]
${CASES.map(([body, wrt], i) => `  output v${i} = ${body}\n  output g${i} = grad(f${i}, wrt = ${wrt})(z, y, p, t, s, h)`).join('\n')}
}`;
const f64 = (a: number[], shape: number[]) => ({ data: Float64Array.from(a) as unknown as Float32Array, shape });
const dlm = () =>
  compileOk(SRC)
    .model()
    .forward(
      {
        z: f64(Z, [4, 3]),
        y: { data: Int32Array.from(Y), shape: [4] },
        p: f64(P, [4, 3]),
        t: f64(TT, [4, 3]),
        s: f64(S, [4]),
        h: f64(H, [4]),
      },
      'f64',
    );

const SCRIPT = `
import torch.nn.functional as F
out = []
for expr, wrt in data['cases']:
    f = lambda k: torch.tensor(data[k], dtype=torch.float64)   # JSON writes 1.0 as 1
    args = dict(z=f('z').reshape(4, 3), y=torch.tensor(data['y']), p=f('p').reshape(4, 3), t=f('t').reshape(4, 3), s=f('s'), h=f('h'))
    x = args[wrt].requires_grad_()
    v = eval(expr, {'F': F, 'torch': torch}, args)
    v.sum().backward()
    out.append([v.detach().reshape(-1).tolist(), x.grad.reshape(-1).tolist()])
emit(out)
`;
const NAMES = ['z', 'y', 'p', 't', 's', 'h'];

describe('losses match torch.nn.functional (float64)', () => {
  let torch: [number[], number[]][] | undefined;
  let out: ReturnType<typeof dlm>;
  beforeAll(() => {
    out = dlm();
    torch = runTorch('the losses', SCRIPT, { cases: CASES.map(([, wrt, e]) => [e, NAMES[wrt]]), z: Z, y: Y, p: P, t: TT, s: S, h: H });
  });

  test.each(CASES.map((c, i) => [c[0], c[2], i] as const))('%s  ≙  %s', (_d, _t, i) => {
    if (!torch) return;
    expect(maxRelErr([...out[`v${i}`]!.data], torch[i]![0])).toBeLessThan(1e-13);
    // BCELoss's backward is (p − y)/max(p(1 − p), 1e-12), not the derivative of its clamped forward:
    // dlm gives the derivative (0 where the log is clamped), so they differ where p(1 − p) < 1e-12 only.
    const far = (k: number) => !CASES[i]![0].startsWith('nn.binary_cross_entropy') || P[k]! * (1 - P[k]!) >= 1e-12;
    const keep = (a: ArrayLike<number>) => Array.from(a).filter((_, k) => far(k));
    expect(maxRelErr(keep(out[`g${i}`]!.data), keep(torch[i]![1]))).toBeLessThan(1e-13);
  });

  test('by hand: ignore_index, label smoothing, the −100 clamp, the hinge tie', () => {
    const lse = (r: number[]) => Math.log(r.reduce((a, x) => a + Math.exp(x), 0));
    const rows = [0, 1, 2, 3].map((r) => Z.slice(3 * r, 3 * r + 3));
    const nll = rows.map((r, k) => lse(r) - r[Y[k]!]!);
    // ignore_index = 1 drops rows 1 and 3; sum over the kept rows
    expect(out['v2']!.data[0]).toBeCloseTo(nll[0]! + nll[2]!, 13);
    // smoothing 0.2, mean over the two kept rows
    const smooth = rows.map((r) => lse(r) - r.reduce((a, x) => a + x, 0) / 3);
    expect(out['v3']!.data[0]).toBeCloseTo((0.8 * (nll[0]! + nll[2]!) + 0.2 * (smooth[0]! + smooth[2]!)) / 2, 13);
    // p = 0 with y = 0 and p = 1 with y = 1 cost nothing; p = 1e-30 with y = 1 costs −log(1e-30) = 69.08 (< 100)
    const bce = P.map((p, i) => -(TT[i]! * Math.max(Math.log(p), -100) + (1 - TT[i]!) * Math.max(Math.log(1 - p), -100)));
    expect(out['v8']!.data[0]).toBeCloseTo(
      bce.reduce((a, b) => a + b, 0),
      10,
    );
    // at p = 0 (y = 0) and p = 1 (y = 1) the loss's derivative is ±1 (PyTorch's backward gives 0 there), never
    // NaN: the other, infinite, side has a zero cotangent; at p = 1e-30 (y = 1) it is −1/p, finite in float64
    expect([out['g7']!.data[1], out['g7']!.data[2]]).toEqual([1 / 12, -1 / 12]);
    expect(out['g7']!.data[6]).toBeCloseTo(-1e30 / 12, -16);
    // hinge: m = 1 − y·ŷ = [0, 0, 0.75, 3]; the tie passes the whole gradient −y/4
    expect([...out['g11']!.data]).toEqual([-0.25, 0.25, -0.25, 0.25]);
  });

  test('sequence_cross_entropy with every position ignored is 0 with a zero gradient (PyTorch: NaN)', () => {
    const m = compileOk(`import nn
fn f(z, y) = nn.sequence_cross_entropy(z, y)
model S {
  input z: f32[1, 2, 3]
  input y: i32[1, 2]
  output v = f(z, y)
  output g = grad(f)(z, y)
}`).model();
    const r = m.forward({ z: f64([1, 2, 3, 4, 5, 6], [1, 2, 3]), y: { data: Int32Array.from([-1, -1]), shape: [1, 2] } }, 'f64');
    expect(r['v']!.data[0]).toBe(0);
    expect([...r['g']!.data].every((g) => g === 0)).toBe(true);
  });
});
