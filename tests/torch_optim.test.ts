// Every optimizer against PyTorch's published update rule (torch.optim's documented algorithms, written
// out below in float64 by hand) and against torch.optim itself (one Python process for the file):
// dlm's Trainer in float64 must agree to rounding, on a loss whose gradient changes every step.
import { beforeAll, describe, expect, test } from 'vitest';
import { Trainer } from '../compiler/api/trainer.js';
import * as E from 'fp-ts/lib/Either.js';
import { compile } from '../compiler/index.js';
import { compileOk } from './helpers/compile.js';
import { maxRelErr, runTorch } from './helpers/torchParity.js';

// L(w) = Σ ½(w − c)² + 0.1·w⁴, so ∇L = (w − c) + 0.4·w³. The last coordinate starts with a gradient of
// −1e-4, where ε inside or outside the root makes a large difference.
const W0 = [0.3, -0.7, 1.2, 0.5];
const C = [1, -2, 0.5, 0.5 + 0.05 + 1e-4];
const grad = (w: number[]) => w.map((x, i) => x - C[i]! + 0.4 * x ** 3);
const STEPS = 12;

type H = Record<string, number>;
/** PyTorch's algorithm for one optimizer: state s persists across steps t = 1, 2, … */
type Rule = (w: number[], g: number[], s: Record<string, number[]>, t: number, h: H) => number[];
const zeros = () => W0.map(() => 0);

// The pseudo-code of https://pytorch.org/docs/1.13/optim.html, one function per optimizer.
const TORCH_RULES: Record<string, Rule> = {
  SGD: (w, g0, s, t, h) => {
    const g = g0.map((x, i) => x + (h['weight_decay'] ?? 0) * w[i]!);
    if (!h['momentum']) return w.map((x, i) => x - h['lr']! * g[i]!);
    s['b'] = t === 1 ? [...g] : s['b']!.map((b, i) => h['momentum']! * b + (1 - (h['dampening'] ?? 0)) * g[i]!);
    const d = h['nesterov'] ? g.map((x, i) => x + h['momentum']! * s['b']![i]!) : s['b']!;
    return w.map((x, i) => x - h['lr']! * d[i]!);
  },
  Adagrad: (w, g0, s, t, h) => {
    const g = g0.map((x, i) => x + (h['weight_decay'] ?? 0) * w[i]!);
    const clr = h['lr']! / (1 + (t - 1) * (h['lr_decay'] ?? 0));
    s['G'] = (s['G'] ?? W0.map(() => h['initial_accumulator_value'] ?? 0)).map((G, i) => G + g[i]! ** 2);
    return w.map((x, i) => x - (clr * g[i]!) / (Math.sqrt(s['G']![i]!) + (h['eps'] ?? 1e-10)));
  },
  RMSprop: (w, g0, s, _t, h) => {
    const a = h['alpha'] ?? 0.99,
      eps = h['eps'] ?? 1e-8;
    const g = g0.map((x, i) => x + (h['weight_decay'] ?? 0) * w[i]!);
    s['v'] = (s['v'] ?? zeros()).map((v, i) => a * v + (1 - a) * g[i]! ** 2);
    let vt = s['v'];
    if (h['centered']) {
      s['ga'] = (s['ga'] ?? zeros()).map((m, i) => a * m + (1 - a) * g[i]!);
      vt = vt.map((v, i) => v - s['ga']![i]! ** 2);
    }
    const d = g.map((x, i) => x / (Math.sqrt(vt[i]!) + eps));
    if (!h['momentum']) return w.map((x, i) => x - h['lr']! * d[i]!);
    s['b'] = (s['b'] ?? zeros()).map((b, i) => h['momentum']! * b + d[i]!);
    return w.map((x, i) => x - h['lr']! * s['b']![i]!);
  },
  Adadelta: (w, g0, s, _t, h) => {
    const rho = h['rho'] ?? 0.9,
      eps = h['eps'] ?? 1e-6;
    const g = g0.map((x, i) => x + (h['weight_decay'] ?? 0) * w[i]!);
    s['v'] = (s['v'] ?? zeros()).map((v, i) => rho * v + (1 - rho) * g[i]! ** 2);
    const u = s['u'] ?? zeros();
    const d = g.map((x, i) => (Math.sqrt(u[i]! + eps) / Math.sqrt(s['v']![i]! + eps)) * x);
    s['u'] = u.map((x, i) => rho * x + (1 - rho) * d[i]! ** 2);
    return w.map((x, i) => x - (h['lr'] ?? 1) * d[i]!);
  },
  Adam: (w, g, s, t, h) => adamRule(w, g, s, t, h, false),
  AdamW: (w, g, s, t, h) => adamRule(w, g, s, t, h, true),
};
const adamRule = (w0: number[], g0: number[], s: Record<string, number[]>, t: number, h: H, decoupled: boolean) => {
  const [b1, b2] = [h['beta1'] ?? 0.9, h['beta2'] ?? 0.999],
    eps = h['eps'] ?? 1e-8,
    lam = h['weight_decay'] ?? (decoupled ? 0.01 : 0);
  const w = decoupled ? w0.map((x) => x * (1 - h['lr']! * lam)) : w0;
  const g = decoupled ? g0 : g0.map((x, i) => x + lam * w0[i]!);
  s['m'] = (s['m'] ?? zeros()).map((m, i) => b1 * m + (1 - b1) * g[i]!);
  s['v'] = (s['v'] ?? zeros()).map((v, i) => b2 * v + (1 - b2) * g[i]! ** 2);
  if (h['amsgrad']) s['vmax'] = (s['vmax'] ?? zeros()).map((x, i) => Math.max(x, s['v']![i]!));
  const v = h['amsgrad'] ? s['vmax']! : s['v'];
  return w.map((x, i) => x - (h['lr']! * s['m']![i]!) / (1 - b1 ** t) / (Math.sqrt(v[i]! / (1 - b2 ** t)) + eps));
};

// [dlm declaration, torch.optim class, its keyword arguments (dlm's beta1/beta2 are torch's betas)]
const CASES: [string, string, H][] = [
  ['sgd(lr = 0.1)', 'SGD', { lr: 0.1 }],
  ['sgd(lr = 0.1, momentum = 0.9, dampening = 0.3, weight_decay = 0.01)', 'SGD', { lr: 0.1, momentum: 0.9, dampening: 0.3, weight_decay: 0.01 }],
  ['sgd(lr = 0.1, momentum = 0.9, nesterov = true)', 'SGD', { lr: 0.1, momentum: 0.9, nesterov: 1 }],
  ['adagrad(lr = 0.5)', 'Adagrad', { lr: 0.5 }],
  [
    'adagrad(lr = 0.5, lr_decay = 0.1, weight_decay = 0.01, initial_accumulator_value = 0.2, eps = 1e-6)',
    'Adagrad',
    { lr: 0.5, lr_decay: 0.1, weight_decay: 0.01, initial_accumulator_value: 0.2, eps: 1e-6 },
  ],
  ['rmsprop(lr = 0.01, alpha = 0.99)', 'RMSprop', { lr: 0.01 }],
  [
    'rmsprop(lr = 0.01, rho = 0.9, momentum = 0.5, centered = true, weight_decay = 0.01)',
    'RMSprop',
    { lr: 0.01, alpha: 0.9, momentum: 0.5, centered: 1, weight_decay: 0.01 },
  ],
  ['rmsprop(lr = 0.01, alpha = 0.9, centered = true)', 'RMSprop', { lr: 0.01, alpha: 0.9, centered: 1 }],
  ['adadelta(lr = 1.0, weight_decay = 0.01)', 'Adadelta', { lr: 1, weight_decay: 0.01 }],
  ['adam(lr = 0.1)', 'Adam', { lr: 0.1 }],
  ['adam(lr = 0.1, amsgrad = true, weight_decay = 0.01, beta1 = 0.8)', 'Adam', { lr: 0.1, amsgrad: 1, weight_decay: 0.01, beta1: 0.8 }],
  ['adamw(lr = 0.1, weight_decay = 0.1, amsgrad = true)', 'AdamW', { lr: 0.1, weight_decay: 0.1, amsgrad: 1 }],
];

const source = (decl: string) => `model Q {
  input dummy: f32[1]
  param w: f32[4] = zeros
  loss sum(0.5 * square(w - [${C.join(', ')}]) + 0.1 * square(square(w))) + 0 * sum(dummy)
  optimizer ${decl}
}`;
const model = (decl: string) => compileOk(source(decl)).model();
const DUMMY = { dummy: { data: new Float32Array(1), shape: [1] } };

/** dlm's trajectory: w after each step. */
const dlmRun = (decl: string, precision: 'f32' | 'f64'): number[][] => {
  const trainer = new Trainer(model(decl), {}, precision);
  trainer.params['w']!.set(W0);
  return Array.from({ length: STEPS }, () => {
    trainer.step(DUMMY);
    return [...trainer.params['w']!];
  });
};
const refRun = (rule: Rule, h: H): number[][] => {
  let w = [...W0];
  const s: Record<string, number[]> = {};
  return Array.from({ length: STEPS }, (_, k) => (w = rule(w, grad(w), s, k + 1, h)));
};

const TORCH_SCRIPT = `
out = []
for case in data['cases']:
    kw = dict(case['kwargs'])
    if 'beta1' in kw or 'beta2' in kw:
        kw['betas'] = (kw.pop('beta1', 0.9), kw.pop('beta2', 0.999))
    for k in ('nesterov', 'amsgrad', 'centered'):
        if k in kw: kw[k] = bool(kw[k])
    w = torch.tensor(data['w0'], requires_grad=True)
    c = torch.tensor(data['c'])
    opt = getattr(torch.optim, case['cls'])([w], **kw)
    traj = []
    for _ in range(data['steps']):
        opt.zero_grad()
        loss = (0.5 * (w - c) ** 2 + 0.1 * w ** 4).sum()
        loss.backward()
        opt.step()
        traj.append(w.detach().tolist())
    out.append(traj)
emit(out)
`;

describe('optimizers: PyTorch update rules in float64', () => {
  let torch: number[][][] | undefined;
  beforeAll(() => {
    torch = runTorch('torch.optim', TORCH_SCRIPT, { w0: W0, c: C, steps: STEPS, cases: CASES.map(([, cls, kwargs]) => ({ cls, kwargs })) });
  });

  test.each(CASES.map((c, i) => [...c, i] as const))('%s  ≙  torch.optim.%s', (decl, cls, h, i) => {
    const dlm = dlmRun(decl, 'f64');
    const ref = refRun(TORCH_RULES[cls]!, h);
    // the hand-written rule, step by step, to float64 rounding (12 steps of a few operations each)
    dlm.forEach((w, k) => {
      expect(maxRelErr(w, ref[k]!)).toBeLessThan(1e-13);
    });
    if (torch)
      torch[i]!.forEach((w, k) => {
        expect(maxRelErr(dlm[k]!, w)).toBeLessThan(1e-13);
      });
  });

  test('one Adagrad and one RMSprop step in PyTorch form, float32 and float64, where ε placement matters', () => {
    for (const [decl, cls, h] of [CASES[3]!, CASES[5]!]) {
      const want = refRun(TORCH_RULES[cls]!, h)[0]!;
      expect(maxRelErr(dlmRun(decl, 'f64')[0]!, want)).toBeLessThan(1e-15);
      // float32: the parameters and constants rounded to float32, so to a few float32 ulps
      expect(maxRelErr(dlmRun(decl, 'f32')[0]!, want)).toBeLessThan(5e-7);
    }
    // The numbers: RMSprop in the old form (ε inside) moves the small-gradient weight by about a
    // third of PyTorch's step; eps_inside = true keeps that form, to the formula √(v + ε).
    const inside = dlmRun('rmsprop(lr = 0.01, alpha = 0.99, eps_inside = true)', 'f64')[0]![3]! - W0[3]!;
    const torchStep = refRun(TORCH_RULES['RMSprop']!, { lr: 0.01 })[0]![3]! - W0[3]!;
    const g = grad(W0)[3]!;
    expect(inside).toBeCloseTo((-0.01 * g) / Math.sqrt(0.01 * g * g + 1e-8), 15);
    expect(Math.abs(torchStep / inside)).toBeGreaterThan(2);
  });
});

describe('optimizer settings are checked as torch.optim checks them', () => {
  // Unknown settings are found by the checker (E0110), values torch.optim refuses when the Trainer is built (E0220).
  const codes = (decl: string) => {
    const r = compile(source(decl), { path: '<test>.dlm' });
    if (E.isLeft(r)) return r.left.map((d) => `${d.code} ${d.message}`);
    try {
      new Trainer(r.right.model('Q'));
      return [];
    } catch (e) {
      return (e as { diagnostics: { code: string; message: string }[] }).diagnostics.map((d) => `${d.code} ${d.message}`);
    }
  };
  test.each([
    ['rmsprop(alpha = 1.5)', "E0220 rmsprop: 'alpha' must be in [0, 1), got 1.5"],
    ['adam(amsgrad = 2)', "E0220 adam: 'amsgrad' is a switch: true or false (1 or 0), got 2"],
    ['sgd(lr = -0.1)', "E0220 sgd: 'lr' must not be negative, got -0.1"],
    ['sgd(nesterov = true)', 'E0220 sgd: Nesterov momentum needs momentum > 0 and dampening = 0'],
    ['adam(betas = 0.9)', "E0110 adam has no setting 'betas'"],
  ])('%s', (decl, want) => expect(codes(decl)).toEqual([want]));
  test("PyTorch's alpha is RMSprop's rho", () => {
    expect(new Trainer(model('rmsprop(alpha = 0.95)')).config.hyper).toMatchObject({ rho: 0.95 });
  });
});
