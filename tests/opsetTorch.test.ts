// The op set of issue 25 against PyTorch (float64): argmax/argmin, sort/argsort/topk, cumsum/cumprod/prod,
// take_along_axis/scatter/scatter_add, flip/roll/tile/tril/triu, the constructors, any/all, logsumexp
// keepdims and every added activation — values on inputs with ties, NaN, zeros and the activations'
// kinks, and gradients of Σ w·f(x) for random weights w. One dlm model (compiled once, run in f64) holds
// every case; one python3 process evaluates every torch expression. Skipped, with the reason printed,
// when torch cannot be imported (Debian python3-torch; .ci/run installs it).
import { describe, expect, test } from 'vitest';
import { Rng } from '../runtime/random.js';
import { compileOk } from './helpers/compile.js';
import { runTorch, torchUnavailable, type TorchCall } from './helpers/torch.js';

const skip = torchUnavailable();
if (skip) console.warn(`tests/opsetTorch.test.ts skipped: ${skip}`);

/** Inputs, all [3, 4]. */
const rng = new Rng(25);
const INPUTS: Record<string, number[]> = {
  ties: [1, 0.5, 1, -2, NaN, 3, NaN, 3, 0, -0, 0, 2],
  dups: [2, -1, 2, 0.5, 0.5, 0.5, -3, 4, 4, -1, 7, -1],
  distinct: Array.from({ length: 12 }, () => 4 * rng.uniform() - 2),
  zeros: [0.5, 0, 2, -1.5, 0, 0, 3, 1.25, -2, 0.75, 0, 4],
  kinks: [-3, 3, 0, -1, 1, 6, -6, 2.5, -0.5, 7, -2.75, 40],
  pos: [8, 0.5, 1000, 1e-3, 3, 1, 2, 1e10, 0.1, 64, 7, 1e-300],
};

interface Case {
  readonly dlm: string; // an expression over x: f32[3, 4]
  readonly torch: string; // the same over X (a reshaped to [3, 4])
  readonly on: keyof typeof INPUTS;
  readonly out: readonly number[]; // output shape
  readonly grad?: boolean;
}
const A = 'X';
const CASES: readonly Case[] = [
  { dlm: 'argmax(x, 1)', torch: `torch.argmax(${A}, 1)`, on: 'ties', out: [3] },
  { dlm: 'argmax(x, 0, keepdims = true)', torch: `torch.argmax(${A}, 0, keepdim=True)`, on: 'ties', out: [1, 4] },
  { dlm: 'argmin(x, 1)', torch: `torch.argmin(${A}, 1)`, on: 'ties', out: [3] },
  { dlm: 'argmin(x, 1)', torch: `torch.argmin(${A}, 1)`, on: 'dups', out: [3] },
  { dlm: 'argmax(x)', torch: `torch.argmax(${A})`, on: 'dups', out: [] },
  { dlm: 'sort(x, 1)', torch: `torch.sort(${A}, dim=1, stable=True)[0]`, on: 'ties', out: [3, 4] },
  { dlm: 'argsort(x, 1)', torch: `torch.sort(${A}, dim=1, stable=True)[1]`, on: 'ties', out: [3, 4] },
  { dlm: 'argsort(x, 0, descending = true)', torch: `torch.sort(${A}, dim=0, descending=True, stable=True)[1]`, on: 'ties', out: [3, 4] },
  { dlm: 'argsort(x, 1, descending = true)', torch: `torch.sort(${A}, dim=1, descending=True, stable=True)[1]`, on: 'dups', out: [3, 4] },
  { dlm: 'sort(x, 0, descending = true)', torch: `torch.sort(${A}, dim=0, descending=True, stable=True)[0]`, on: 'distinct', out: [3, 4], grad: true },
  { dlm: 'topk(x, 2)', torch: `torch.topk(${A}, 2)[0]`, on: 'distinct', out: [3, 2], grad: true },
  { dlm: 'topk(x, 2, 0, largest = false)', torch: `torch.topk(${A}, 2, 0, largest=False)[0]`, on: 'distinct', out: [2, 4], grad: true },
  { dlm: 'topk_indices(x, 3)', torch: `torch.topk(${A}, 3)[1]`, on: 'distinct', out: [3, 3] },
  { dlm: 'cumsum(x, 1)', torch: `torch.cumsum(${A}, 1)`, on: 'distinct', out: [3, 4], grad: true },
  { dlm: 'cumsum(x, 0, reverse = true)', torch: `torch.flip(torch.cumsum(torch.flip(${A}, [0]), 0), [0])`, on: 'distinct', out: [3, 4], grad: true },
  { dlm: 'cumprod(x, 1)', torch: `torch.cumprod(${A}, 1)`, on: 'zeros', out: [3, 4], grad: true },
  { dlm: 'cumprod(x, 1, reverse = true)', torch: `torch.flip(torch.cumprod(torch.flip(${A}, [1]), 1), [1])`, on: 'zeros', out: [3, 4], grad: true },
  { dlm: 'cumprod(x, 0)', torch: `torch.cumprod(${A}, 0)`, on: 'ties', out: [3, 4] },
  { dlm: 'prod(x, 1)', torch: `torch.prod(${A}, 1)`, on: 'zeros', out: [3], grad: true },
  { dlm: 'prod(x, 0, keepdims = true)', torch: `torch.prod(${A}, 0, keepdim=True)`, on: 'zeros', out: [1, 4], grad: true },
  { dlm: 'prod(x)', torch: `torch.prod(${A})`, on: 'distinct', out: [], grad: true },
  {
    dlm: 'take_along_axis(x, [[3, 0], [1, 1], [0, 2]], 1)',
    torch: `torch.gather(${A}, 1, torch.tensor([[3, 0], [1, 1], [0, 2]]))`,
    on: 'distinct',
    out: [3, 2],
    grad: true,
  },
  {
    dlm: 'scatter_add(x, [[3, 0, 3, 1], [1, 1, 1, 1]], x * x, 1)',
    torch: `torch.scatter_add(${A}, 1, torch.tensor([[3, 0, 3, 1], [1, 1, 1, 1]]), (${A} * ${A})[:2])`,
    on: 'distinct',
    out: [3, 4],
    grad: false,
  },
  {
    dlm: 'scatter(x, [[2, 0, 1, 2]], 2 * x[0:1], 0)',
    torch: `torch.scatter(${A}, 0, torch.tensor([[2, 0, 1, 2]]), 2 * ${A}[0:1])`,
    on: 'distinct',
    out: [3, 4],
    grad: true,
  },
  { dlm: 'flip(x, 1)', torch: `torch.flip(${A}, [1])`, on: 'distinct', out: [3, 4], grad: true },
  { dlm: 'flip(x)', torch: `torch.flip(${A}, [0, 1])`, on: 'distinct', out: [3, 4] },
  { dlm: 'roll(x, [1, -5], [0, 1])', torch: `torch.roll(${A}, (1, -5), (0, 1))`, on: 'distinct', out: [3, 4], grad: true },
  { dlm: 'roll(x, 5)', torch: `torch.roll(${A}, 5)`, on: 'distinct', out: [3, 4] },
  { dlm: 'tile(x, [2, 1])', torch: `${A}.repeat(2, 1)`, on: 'distinct', out: [6, 4], grad: true },
  { dlm: 'repeat(x, [2, 1, 3])', torch: `${A}.repeat(2, 1, 3)`, on: 'distinct', out: [2, 3, 12] },
  { dlm: 'tril(x)', torch: `torch.tril(${A})`, on: 'ties', out: [3, 4] },
  { dlm: 'tril(x, -1)', torch: `torch.tril(${A}, -1)`, on: 'distinct', out: [3, 4], grad: true },
  { dlm: 'triu(x, 1)', torch: `torch.triu(${A}, 1)`, on: 'distinct', out: [3, 4], grad: true },
  { dlm: 'x * 0 + eye(3, 4)', torch: `${A} * 0 + torch.eye(3, 4)`, on: 'distinct', out: [3, 4] },
  { dlm: 'x * 0 + arange(-1, 2.5, 0.3)[0:4]', torch: `${A} * 0 + torch.arange(-1, 2.5, 0.3)[0:4]`, on: 'distinct', out: [3, 4] },
  { dlm: 'x * 0 + linspace(-1, 2.5, 4)', torch: `${A} * 0 + torch.linspace(-1, 2.5, 4)`, on: 'distinct', out: [3, 4] },
  {
    dlm: 'x * 0 + cast(arange(4), f32) + full([4], 0.25) + zeros([3, 1]) + ones([4])',
    torch: `${A} * 0 + torch.arange(4) + torch.full([4], 0.25) + torch.zeros(3, 1) + torch.ones(4)`,
    on: 'distinct',
    out: [3, 4],
  },
  { dlm: 'any(x > 2.5, 1)', torch: `torch.any(${A} > 2.5, 1)`, on: 'ties', out: [3] },
  { dlm: 'all(x, 0)', torch: `torch.all(${A}, 0)`, on: 'zeros', out: [4] },
  { dlm: 'any(x)', torch: `torch.any(${A})`, on: 'ties', out: [] },
  { dlm: 'logsumexp(x, 1, keepdims = true)', torch: `torch.logsumexp(${A}, 1, keepdim=True)`, on: 'distinct', out: [3, 1], grad: true },
  { dlm: 'logsumexp(where(x > 0, -inf, x), 0)', torch: `torch.logsumexp(torch.where(${A} > 0, -float('inf'), ${A}), 0)`, on: 'zeros', out: [4] },
  ...(
    [
      ['softsign', 'F.softsign(X)'],
      ['hardtanh', 'F.hardtanh(X)'],
      ['relu6', 'F.relu6(X)'],
      ['selu', 'torch.selu(X)'],
      ['celu', 'F.celu(X)'],
      ['elu', 'F.elu(X)'],
      ['hardswish', 'F.hardswish(X)'],
      ['hardsigmoid', 'F.hardsigmoid(X)'],
      ['mish', 'F.mish(X)'],
      ['exp2', 'torch.exp2(X)'],
    ] as const
  ).flatMap(([f, t]) => (['kinks', 'distinct'] as const).map((on) => ({ dlm: `${f}(x)`, torch: t, on, out: [3, 4], grad: true }))),
  { dlm: 'hardtanh(x, -2, 2.5)', torch: `F.hardtanh(${A}, -2, 2.5)`, on: 'kinks', out: [3, 4], grad: true },
  { dlm: 'celu(x, 0.5)', torch: `F.celu(${A}, 0.5)`, on: 'kinks', out: [3, 4], grad: true },
  ...(
    [
      ['ij,kj->ik', 'x, x', 'X, X', [3, 3]],
      ['ij,jk', 'x, transpose(x)', 'X, X.T', [3, 3]],
      ['bij,bkj->bik', 'reshape(x, [2, 2, 3]), reshape(x, [2, 2, 3])', 'X.reshape(2, 2, 3), X.reshape(2, 2, 3)', [2, 2, 2]],
      ['ii->', 'x[:, 0:3]', 'X[:, 0:3]', []],
      ['ii->i', 'x[:, 1:4]', 'X[:, 1:4]', [3]],
      ['i,j->ij', 'x[0], x[1]', 'X[0], X[1]', [4, 4]],
      ['ij->ji', 'x', 'X', [4, 3]],
      ['ij->', 'x', 'X', []],
      ['ij,jk,kl->il', 'x, transpose(x), x', 'X, X.T, X', [3, 4]],
      ['bi,ij,bj->b', 'x[:, 0:3], x[:, 1:4], x[:, 0:3]', 'X[:, 0:3], X[:, 1:4], X[:, 0:3]', [3]],
      ['iij->j', 'reshape(x, [2, 2, 3])', 'X.reshape(2, 2, 3)', [3]],
      ['ij,ij->i', 'x, x * x', 'X, X * X', [3]],
      ['i,i', 'x[0], x[1]', 'X[0], X[1]', []],
      ['ji , jk -> ik', 'x, x', 'X, X', [4, 4]],
      ['...ij,...jk->...ik', 'reshape(x, [2, 2, 3]), reshape(x, [2, 3, 2])', 'X.reshape(2, 2, 3), X.reshape(2, 3, 2)', [2, 2, 2]],
      ['...ij,jk->...ik', 'reshape(x, [2, 2, 3]), x[:, 0:2]', 'X.reshape(2, 2, 3), X[:, 0:2]', [2, 2, 2]],
      ['...i,...i', 'x, x[0]', 'X, X[0]', [3]],
      ['ij,ij->ij', 'x, x[0:1]', 'X, X[0:1]', [3, 4]],
      ['i...->...', 'x', 'X', [4]],
    ] as const
  ).map(([s, d, t, out]) => ({ dlm: `einsum("${s}", ${d})`, torch: `torch.einsum("${s}", ${t})`, on: 'distinct' as const, out, grad: true })),
  { dlm: 'log2(x)', torch: `torch.log2(${A})`, on: 'pos', out: [3, 4], grad: true },
  { dlm: 'log10(x)', torch: `torch.log10(${A})`, on: 'pos', out: [3, 4], grad: true },
];

const size = (s: readonly number[]) => s.reduce((p, q) => p * q, 1);
const wOf = (i: number) => Array.from({ length: size(CASES[i]!.out) }, (_, j) => Math.sin(1 + 7 * i + 3 * j));

/** One model: output o_i = case i on its input; g_i = d Σ w_i·o_i / dx for the differentiable cases. */
const source = (): string => {
  const fns = CASES.map((c, i) => `fn e${i}(x) = ${c.dlm}\n${c.grad ? `fn loss${i}(x, w) = sum(e${i}(x) * w)\n` : ''}`).join('');
  const ins = Object.keys(INPUTS)
    .map((k) => `  input x_${k}: f32[3, 4]`)
    .join('\n');
  const ws = CASES.flatMap((c, i) => (c.grad ? [`  input w${i}: f32[${c.out.join(', ')}]`] : [])).join('\n');
  const outs = CASES.map((c, i) => `  output o${i} = e${i}(x_${c.on})\n${c.grad ? `  output g${i} = grad(loss${i})(x_${c.on}, w${i})\n` : ''}`).join('');
  return `${fns}model M {\n${ins}\n${ws}\n${outs}}\n`;
};

const agree = (a: number, b: number): boolean =>
  Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)) || (a === 0 && b === 0) || Math.abs(a - b) <= 1e-14 * Math.max(1, Math.abs(a), Math.abs(b));

describe.skipIf(skip !== undefined)('the op set against PyTorch (float64)', () => {
  const calls: TorchCall[] = CASES.map((c, i) => {
    const X = `a.reshape(3, 4)`;
    const e = c.torch.replaceAll('X', X);
    return c.grad
      ? { expr: `(${e}) * b.reshape(${c.out.length ? c.out.join(', ') : '()'})`, inputs: [INPUTS[c.on]!, wOf(i)], grad: true }
      : { expr: e, inputs: [INPUTS[c.on]!] };
  });
  const torch = skip ? [] : runTorch(calls);
  const model = compileOk(source()).model();
  const feed = {
    ...Object.fromEntries(Object.entries(INPUTS).map(([k, v]) => [`x_${k}`, { data: Float64Array.from(v) as unknown as Float32Array, shape: [3, 4] }])),
    ...Object.fromEntries(
      CASES.flatMap((c, i) => (c.grad ? [[`w${i}`, { data: Float64Array.from(wOf(i)) as unknown as Float32Array, shape: [...c.out] }]] : [])),
    ),
  };
  const out = model.forward(feed, 'f64');

  test.each(CASES.map((c, i) => [`${c.dlm} on ${c.on}`, i] as const))('%s', (_name, i) => {
    const c = CASES[i]!,
      t = torch[i]!;
    const o = out[`o${i}`]!;
    expect(o.shape).toEqual(c.out);
    // values (for a gradient case torch returned w·f: divide back out)
    const w = wOf(i);
    const want = c.grad ? t.out.map((v, j) => v / w[j]!) : t.out;
    [...o.data].forEach((v, j) => {
      expect(
        c.grad ? Math.abs(v - want[j]!) <= 1e-12 * Math.max(1, Math.abs(v)) || Object.is(v, want[j]) : agree(v, want[j]!),
        `${c.dlm}[${j}]: dlm ${v}, torch ${want[j]}`,
      ).toBe(true);
    });
    if (c.grad) {
      const g = out[`g${i}`]!;
      // torch's hardsigmoid backward multiplies by the float32 constant 1.0f/6 (0.1666666716…): 3e-8 relative in float64
      const close = c.dlm.startsWith('hardsigmoid') ? (p: number, q: number) => Math.abs(p - q) <= 1e-7 * Math.abs(q) : agree;
      [...g.data].forEach((v, j) => {
        expect(close(v, t.grads![0]![j]!), `d/dx ${c.dlm}[${j}]: dlm ${v}, torch ${t.grads![0]![j]}`).toBe(true);
      });
    }
  });
});
