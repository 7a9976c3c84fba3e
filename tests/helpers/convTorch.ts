// Differential checks of one built-in call against PyTorch (float64): a model computes y = CALL(a, b…)
// and the gradients of Σ y·c for a random cotangent c by grad(); PyTorch evaluates the same expression
// (its inputs reshaped from flat vectors). Values and gradients must agree to 1e-12 relative, and the
// gradients also agree with central finite differences of Σ y·c (ε = 1e-6, README's tolerance).
import { expect } from 'vitest';
import { Rng } from '../../runtime/random.js';
import { compileOk } from './compile.js';
import { runTorch, type TorchCall } from './torch.js';

export interface ConvCase {
  /** The dlm call over inputs a, b, e.g. 'max_pool2d(a, 3, stride = 2, ceil_mode = true)'. */
  readonly dlm: string;
  /** The PyTorch expression over A, B (the inputs already reshaped), e.g. 'F.max_pool2d(A, 3, 2, ceil_mode=True)'. */
  readonly torch: string;
  readonly shapes: readonly (readonly number[])[];
  /** Functions the dlm call uses (e.g. one differentiated inside it). */
  readonly fns?: string;
}

const names = ['a', 'b'];
const size = (s: readonly number[]) => s.reduce((p, q) => p * q, 1);

interface Prepared {
  c: ConvCase;
  inputs: number[][];
  ct: number[];
  y: number[];
  grads: number[][];
  model: ReturnType<ReturnType<typeof compileOk>['model']>;
  outShape: number[];
}

/**
 * The checks for named groups of cases: the first check compiles and runs every case of every group in
 * dlm (compiled float64) and evaluates all of them in one PyTorch process; each check then asserts its
 * group. Finite differences run on the first case of each group (the rest agree with PyTorch's gradients).
 */
export const torchGroups = (groups: Readonly<Record<string, readonly ConvCase[]>>, seed = 11): ((name: string) => void) => {
  let done: Map<string, () => void> | undefined;
  return (name) => {
    done ??= prepareAll(groups, seed);
    done.get(name)!();
  };
};

const prepareAll = (groups: Readonly<Record<string, readonly ConvCase[]>>, seed: number): Map<string, () => void> => {
  const names = Object.keys(groups);
  const all = names.flatMap((g) => groups[g]!.map((c, i) => ({ g, c, fd: i === 0 })));
  const checks = checkAgainstTorch(
    all.map((q) => q.c),
    all.map((q) => q.fd),
    seed,
  );
  return new Map(
    names.map((g) => [
      g,
      () =>
        all.forEach((q, i) => {
          if (q.g === g) checks[i]!();
        }),
    ]),
  );
};

/** Compiles and runs every case in dlm (compiled float64), then one PyTorch process for all of them; one assertion function per case. */
const checkAgainstTorch = (cases: readonly ConvCase[], fd: readonly boolean[], seed: number): (() => void)[] => {
  const rng = new Rng(seed);
  const prepared: Prepared[] = cases.map((c) => {
    const ins = c.shapes.map((_, i) => names[i]!);
    const decls = c.shapes.map((s, i) => `  input ${ins[i]}: f32[${s.join(', ')}]`).join('\n');
    const probe = compileOk(`${c.fns ?? ''}\nmodel P {\n${decls}\n  output y = ${c.dlm}\n}`).model();
    const inputs = c.shapes.map((s) => Array.from({ length: size(s) }, () => rng.uniform() * 4 - 2));
    const feed = (xs: number[][]) => Object.fromEntries(xs.map((x, i) => [ins[i]!, { data: Float64Array.from(x), shape: [...c.shapes[i]!] }]));
    const outShape = [...probe.forward(feed(inputs), 'f64')['y']!.shape];
    const ct = Array.from({ length: size(outShape) }, () => rng.uniform() * 2 - 1);
    const args = [...ins, 'c'].join(', ');
    const src = `${c.fns ?? ''}\nfn f(${args}) = sum(${c.dlm} * c)
model M {
${c.shapes.map((s, i) => `  input ${ins[i]}: f32[${s.join(', ')}]`).join('\n')}
  input c: f32[${outShape.join(', ')}]
  output y = ${c.dlm}
  output loss = f(${args})
${ins.map((n, i) => `  output g${n} = grad(f, wrt = ${i})(${args})`).join('\n')}
}`;
    const model = compileOk(src).model();
    const run = (xs: number[][]) => model.forward({ ...feed(xs), c: { data: Float64Array.from(ct), shape: outShape } }, 'f64');
    const r = run(inputs);
    return { c, inputs, ct, y: [...r['y']!.data], grads: ins.map((n) => [...r[`g${n}`]!.data]), model, outShape };
  });
  const calls: TorchCall[] = prepared.map((p) => {
    const A = p.c.shapes.map((s, i) => `${'ab'[i]}.reshape(${s.join(', ')})`);
    const expr = `((lambda A, B=None: ${p.c.torch})(${A.join(', ')})).reshape(-1) * ${'abc'[p.c.shapes.length]}`;
    return { expr, inputs: [...p.inputs, p.ct], grad: true };
  });
  const results = runTorch(calls);
  return prepared.map((p, k) => () => {
    const t = results[k]!;
    const what = `${p.c.dlm} on ${p.c.shapes.map((s) => `[${s.join(', ')}]`).join(' ')}`;
    expect(t.out.length, `${what}: output size`).toBe(p.y.length);
    const close = (a: number, b: number) => Math.abs(a - b) <= 1e-12 * (1 + Math.abs(b));
    p.y.forEach((v, i) => {
      expect(close(v * p.ct[i]!, t.out[i]!), `${what}: y[${i}] = ${v}, torch ${t.out[i]! / p.ct[i]!}`).toBe(true);
    });
    p.grads.forEach((g, j) => {
      g.forEach((v, i) => {
        expect(close(v, t.grads![j]![i]!), `${what}: d/d${names[j]}[${i}] = ${v}, torch ${t.grads![j]![i]}`).toBe(true);
      });
    });
    // central finite differences at a few coordinates of every input
    const loss = (xs: number[][]) =>
      p.model.forward(
        {
          ...Object.fromEntries(xs.map((x, i) => [names[i]!, { data: Float64Array.from(x), shape: [...p.c.shapes[i]!] }])),
          c: { data: Float64Array.from(p.ct), shape: p.outShape },
        },
        'f64',
      )['loss']!.data[0]!;
    if (fd[k])
      p.inputs.forEach((x, j) => {
        for (let q = 0; q < 3; q++) {
          const i = Math.floor(rng.uniform() * x.length),
            eps = 1e-6;
          const plus = p.inputs.map((v) => [...v]),
            minus = p.inputs.map((v) => [...v]);
          plus[j]![i]! += eps;
          minus[j]![i]! -= eps;
          const fd = (loss(plus) - loss(minus)) / (2 * eps),
            g = p.grads[j]![i]!;
          const ok = Math.abs(fd - g) <= 1e-7 + 1e-5 * Math.max(Math.abs(fd), Math.abs(g));
          expect(ok, `${what}: d/d${names[j]}[${i}] = ${g}, finite differences ${fd}`).toBe(true);
        }
      });
  });
};
