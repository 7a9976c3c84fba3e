// Random well-typed .dlm programs for property tests. A program is generated from a "recipe" (a list of
// small integers), so fast-check shrinks failures to a short recipe, printed back as .dlm source.
import type { Arbitrary } from 'fast-check';
import { fc } from './fastCheck.js';

export interface Step {
  readonly op: number;
  readonly a: number;
  readonly b: number;
  readonly k: number;
}
export interface GeneratedProgram {
  readonly source: string;
  readonly recipe: readonly Step[];
}

interface Var {
  readonly name: string;
  readonly shape: readonly number[];
}

const UNARY = [
  (v: string) => `tanh(${v})`,
  (v: string) => `sigmoid(${v})`,
  (v: string) => `softplus(${v})`,
  (v: string) => `square(${v})`,
  (v: string) => `exp(tanh(${v}))`,
  (v: string) => `log(1 + square(${v}))`,
  (v: string) => `sqrt(1 + square(${v}))`,
  (v: string) => `sin(${v})`,
  (v: string) => `gelu(${v})`,
  (v: string) => `-${v}`,
  (v: string) => `${v} * 0.5`,
  // naive forms the stabilize pass rewrites
  (v: string) => `log(sigmoid(${v}))`,
  (v: string) => `log(1 - sigmoid(${v}))`,
];

const broadcasts = (a: readonly number[], b: readonly number[]): boolean => {
  for (let i = 1; i <= Math.min(a.length, b.length); i++) {
    const x = a[a.length - i]!,
      y = b[b.length - i]!;
    if (x !== y && x !== 1 && y !== 1) return false;
  }
  return true;
};
const bshape = (a: readonly number[], b: readonly number[]): number[] => {
  const r = Math.max(a.length, b.length);
  return [...Array(r).keys()].map((i) => Math.max(a[a.length - r + i] ?? 1, b[b.length - r + i] ?? 1));
};

/** Turns a recipe into source: a model whose loss is a scalar function of its parameters. */
export const programFromRecipe = (dims: readonly [number, number], recipe: readonly Step[]): string => {
  const lines: string[] = [];
  const params: string[] = [];
  const vars: Var[] = [{ name: 'x', shape: [...dims] }];
  const newParam = (shape: readonly number[]): Var => {
    const name = `w${params.length}`;
    params.push(`  param ${name}: f32[${shape.join(', ')}] = normal(std = 1.0)`);
    const v = { name, shape };
    vars.push(v);
    return v;
  };
  newParam([dims[1]]);
  const emit = (expr: string, shape: readonly number[]) => {
    const name = `v${lines.length}`;
    lines.push(`  let ${name} = ${expr}`);
    vars.push({ name, shape });
  };
  for (const s of recipe) {
    const v = vars[s.a % vars.length]!;
    const r = v.shape.length;
    const partner = () => vars.filter((u) => broadcasts(u.shape, v.shape))[s.b % vars.filter((u) => broadcasts(u.shape, v.shape)).length]!;
    switch (s.op % 10) {
      case 0:
        emit(UNARY[s.k % UNARY.length]!(v.name), v.shape);
        break;
      case 1: {
        const u = partner();
        emit(`${v.name} + ${u.name}`, bshape(v.shape, u.shape));
        break;
      }
      case 2: {
        const u = partner();
        emit(`${v.name} * ${u.name}`, bshape(v.shape, u.shape));
        break;
      }
      case 3: {
        const u = partner();
        emit(`${v.name} / (1 + square(${u.name}))`, bshape(v.shape, u.shape));
        break;
      }
      case 4: {
        if (r === 0) {
          emit(`tanh(${v.name})`, v.shape);
          break;
        }
        const ax = s.k % r;
        if (s.b % 2)
          emit(
            `sum(${v.name}, ${ax}, keepdims = true)`,
            v.shape.map((d, i) => (i === ax ? 1 : d)),
          );
        else
          emit(
            `mean(${v.name}, ${ax})`,
            v.shape.filter((_, i) => i !== ax),
          );
        break;
      }
      case 5: {
        if (r !== 2) {
          emit(`sigmoid(${v.name})`, v.shape);
          break;
        }
        const w = newParam([v.shape[1]!, 1 + (s.k % 3)]);
        emit(`${v.name} @ ${w.name}`, [v.shape[0]!, w.shape[1]!]);
        break;
      }
      case 6:
        if (r === 0) emit(`square(${v.name})`, v.shape);
        else if (s.k % 3 === 1) emit(`softmax(${v.name})`, v.shape);
        else if (s.k % 3 === 2) emit(`log(softmax(${v.name}))`, v.shape);
        else emit(`logsumexp(${v.name})`, v.shape.slice(0, -1));
        break;
      case 7:
        if (r === 2) emit(`transpose(${v.name})`, [v.shape[1]!, v.shape[0]!]);
        else emit(`exp(tanh(${v.name}))`, v.shape);
        break;
      case 8: {
        const u = partner();
        emit(`maximum(${v.name}, ${u.name} + 0.5)`, bshape(v.shape, u.shape));
        break;
      }
      case 9:
        emit(`reshape(${v.name}, [-1])`, [v.shape.reduce((p, q) => p * q, 1)]);
        break;
    }
  }
  const last = vars[vars.length - 1]!;
  return ['model Generated {', `  input x: f32[${dims.join(', ')}]`, ...params, ...lines, `  loss sum(${last.name}) + 0.1 * sum(square(w0))`, '}'].join('\n');
};

export const stepArb: Arbitrary<Step> = fc.record({ op: fc.nat(40), a: fc.nat(40), b: fc.nat(40), k: fc.nat(40) });

/** Programs of 2–20 steps over an input of shape [1–4, 1–4]. */
export const programArb = (minSteps = 2, maxSteps = 20): Arbitrary<GeneratedProgram> =>
  fc
    .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.array(stepArb, { minLength: minSteps, maxLength: maxSteps }))
    .map(([a, b, recipe]) => ({ source: programFromRecipe([a, b], recipe), recipe }));
