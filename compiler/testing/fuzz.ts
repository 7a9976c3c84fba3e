// Fuzzing the whole compiler with hostile variations of real programs: fast-check mutates the examples
// and `programArb` programs (tokens deleted, inserted, swapped; hostile identifiers; huge, tiny and
// non-finite numbers; deep nesting; truncation), and each mutant runs in-process through check →
// compile of the training step → one training step on a tiny batch (or a forward pass when it has no
// loss). A case passes when it ends in a result or in a user error (diagnostics, RunError, DataError):
// any other exception is what `dlm` would report as an internal error (exit 3).
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { DataError } from '../../runtime/data/errors.js';
import type { Tensor } from '../../runtime/tensor.js';
import { RunError } from '../api/errors.js';
import { Trainer } from '../api/trainer.js';
import type { Limits } from '../check/limits.js';
import { DiagnosticError } from '../diagnostics/diagnostic.js';
import { compile } from '../index.js';
import { optimize, specialize } from '../pipeline.js';
import type { DimEnv } from '../ir/bind.js';
import { programFlops } from '../codegen/stats.js';
import { programFromRecipe, type Step } from './programs.js';

export const HOSTILE_NAMES = [
  'constructor',
  '__proto__',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'then',
  'length',
  'eval',
  'process',
  'NaN',
  'Infinity',
  'undefined',
];
export const HOSTILE_NUMBERS = [
  '0',
  '-1',
  '1e308',
  '1e309',
  '1e-320',
  '2147483647',
  '2147483648',
  '4294967296',
  '3.4e38',
  '9007199254740993',
  '0.5',
  '1e400',
  '-0',
];
const TOKENS = [
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ',',
  ':',
  '=',
  '+',
  '-',
  '*',
  '/',
  '@',
  '**',
  '.',
  ';',
  '\n',
  'let',
  'fn',
  'layer',
  'param',
  'state',
  'model',
  'input',
  'target',
  'output',
  'loss',
  'update',
  'import',
  'as',
  'nn',
  'f32',
  'i32',
  'bool',
  'B',
  'x',
  'grad',
  'scan',
  'sum',
  'mean',
  'reshape',
  'train',
  'trains',
  'with',
  'optimizer',
  '"./x.dlm"',
  '"/etc/passwd"',
];

/** One edit of a token list (indices are taken modulo the length, so shrinking keeps them valid). */
export type Mutation =
  | { readonly k: 'delete'; readonly at: number; readonly n: number }
  | { readonly k: 'insert'; readonly at: number; readonly tok: string }
  | { readonly k: 'swap'; readonly a: number; readonly b: number }
  | { readonly k: 'rename'; readonly at: number; readonly name: string }
  | { readonly k: 'number'; readonly at: number; readonly value: string }
  | { readonly k: 'nest'; readonly at: number; readonly depth: number; readonly open: string }
  | { readonly k: 'truncate'; readonly keep: number };

// Weighted toward edits that keep a program valid (numbers, names, nesting), so many mutants get past
// the checker into compilation and training, where the 37 failures were found.
export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('number' as const), at: fc.nat(), value: fc.constantFrom(...HOSTILE_NUMBERS) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('rename' as const), at: fc.nat(), name: fc.constantFrom(...HOSTILE_NAMES) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('nest' as const),
      at: fc.nat(),
      depth: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 200, max: 400 })),
      open: fc.constantFrom('(', '-', '['),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 3 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('insert' as const),
      at: fc.nat(),
      tok: fc.oneof(fc.constantFrom(...TOKENS), fc.constantFrom(...HOSTILE_NAMES), fc.constantFrom(...HOSTILE_NUMBERS)),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('truncate' as const), keep: fc.nat() }) },
);

/** Words, numbers, strings, comments, operators and whitespace runs: joining them gives the text back. */
export const tokenize = (text: string): string[] =>
  text.match(/\/\/[^\n]*|"[^"\n]*"|[A-Za-z_]\w*|\d+(?:\.\d*)?(?:e[-+]?\d+)?|\.\d+|\*\*|<=|>=|==|!=|->|\s+|./g) ?? [];

const DECLARERS = new Set(['let', 'fn', 'layer', 'param', 'state', 'input', 'target', 'output', 'loss', 'model']);
const isWord = (t: string): boolean => /^[A-Za-z_]\w*$/.test(t);
const isNumber = (t: string): boolean => /^(\d|\.\d)/.test(t);
/** The i-th (mod count) token satisfying `p`, or -1. */
const nth = (ts: readonly string[], i: number, p: (t: string) => boolean): number => {
  const idx: number[] = [];
  ts.forEach((t, j) => {
    if (p(t)) idx.push(j);
  });
  return idx.length ? idx[i % idx.length]! : -1;
};

export const applyMutation = (text: string, m: Mutation): string => {
  const ts = tokenize(text);
  const n = Math.max(1, ts.length);
  const significant = (t: string) => !/^\s/.test(t) && !t.startsWith('//');
  switch (m.k) {
    case 'delete': {
      for (let k = 0; k < m.n; k++) {
        const j = nth(ts, m.at, significant);
        if (j >= 0) ts.splice(j, 1);
      }
      break;
    }
    case 'insert':
      ts.splice(m.at % (ts.length + 1), 0, ' ', m.tok, ' ');
      break;
    case 'swap': {
      const a = nth(ts, m.a, significant),
        b = nth(ts, m.b, significant);
      if (a >= 0 && b >= 0) [ts[a], ts[b]] = [ts[b]!, ts[a]!];
      break;
    }
    case 'rename': {
      // A name the program declares (after let, fn, layer, param, input, …), renamed everywhere: the program stays valid.
      const declared = new Set(ts.filter((t, j) => isWord(t) && DECLARERS.has(ts[j - 2] ?? '') && /^\s+$/.test(ts[j - 1] ?? '')));
      const w = nth(ts, m.at, (t) => declared.has(t));
      if (w >= 0) {
        const old = ts[w]!;
        for (let j = 0; j < ts.length; j++) if (ts[j] === old) ts[j] = m.name;
      }
      break;
    }
    case 'number': {
      const j = nth(ts, m.at, isNumber);
      if (j >= 0) ts[j] = m.value;
      break;
    }
    case 'nest': {
      // Wrap a name in `depth` brackets (or unary minuses): deep nesting inside a real expression.
      const j = nth(ts, m.at, isWord);
      if (j >= 0) {
        const close = m.open === '(' ? ')' : m.open === '[' ? ']' : '';
        ts[j] = `${m.open.repeat(m.depth)}${ts[j]}${close.repeat(m.depth)}`;
      }
      break;
    }
    case 'truncate':
      return ts.slice(0, m.keep % n).join('');
  }
  return ts.join('');
};

/** A base program: one of the given sources, or a random `programArb`-style program. */
export const baseArb = (corpus: readonly string[]): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...corpus) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 1, max: 3 }),
          fc.array(fc.record({ op: fc.nat(20), a: fc.nat(20), b: fc.nat(20), k: fc.nat(20) }), { minLength: 1, maxLength: 8 }),
        )
        .map(([r, c, recipe]) => programFromRecipe([r, c], recipe as Step[])),
    },
  );

export const mutantArb = (corpus: readonly string[]): fc.Arbitrary<string> =>
  fc.tuple(baseArb(corpus), fc.array(mutationArb, { minLength: 1, maxLength: 2 })).map(([src, ms]) => ms.reduce(applyMutation, src));

export interface CaseResult {
  /** How far the case got: 'syntax/check' diagnostics, 'run' a RunError/DataError, 'ok' a finished step. */
  readonly outcome: 'diagnostics' | 'run-error' | 'ok';
  readonly ms: number;
}

/** A tiny batch for a model's declared inputs: symbolic dims are 2, values small (integers 0, which every index and label accepts). */
const tinyBatch = (inputs: readonly { name: string; type: { dtype: string; shape: readonly (number | string)[] } }[]): Record<string, Tensor> => {
  const batch: Record<string, Tensor> = Object.create(null) as Record<string, Tensor>;
  for (const i of inputs) {
    const shape = i.type.shape.map((d) => (typeof d === 'number' ? d : 2));
    const count = shape.reduce((a, b) => a * b, 1);
    if (count > 1 << 22) throw new RunError([], `fuzz: input '${i.name}' of ${count} elements is too large for a tiny batch`);
    const data = new Float32Array(count);
    if (i.type.dtype === 'f32') for (let k = 0; k < count; k++) data[k] = Math.sin(k + 1) * 0.5;
    batch[i.name] = { data, shape };
  }
  return batch;
};

/** The dims tinyBatch gives: every symbolic dim of the inputs is 2 (parameters' dims are concrete). */
const tinyDims = (inputs: readonly { type: { shape: readonly (number | string)[] } }[]): DimEnv =>
  new Map(inputs.flatMap((i) => i.type.shape.filter((d): d is string => typeof d === 'string').map((d) => [d, 2] as const)));

/** Limits for fuzz cases: small enough that every case stays fast, large enough for the examples. */
export const FUZZ_LIMITS: Partial<Limits> = { maxNodes: 20_000, maxMemory: 256 * 2 ** 20 };

/**
 * The most floating-point operations of a forward pass that a case runs; a larger program is checked and
 * compiled but not run (a training step is measured, not the forward pass). examples/hopfield.dlm's forward pass is 2 GFLOP (ten sweeps of a [160, 784] ·
 * [784, 784] product, twice): running it took 8–10 s of the 10 s a case may take on a loaded machine,
 * and its mutants were a fifth of the property's time. What running adds (non-finite values, RunErrors
 * of the runtime) is exercised by every smaller program.
 */
export const RUN_FLOPS = 2e8;

/**
 * Runs one source through check → training-step compilation → one step (a forward pass without a loss;
 * compilation only past RUN_FLOPS). Returns how far it got; throws only what would be an internal error
 * (the property's failure).
 */
export const runCase = (text: string, limits: Partial<Limits> = FUZZ_LIMITS): CaseResult => {
  const t0 = performance.now();
  const done = (outcome: CaseResult['outcome']): CaseResult => ({ outcome, ms: performance.now() - t0 });
  const r = compile(text, { path: 'fuzz.dlm', limits });
  if (E.isLeft(r)) {
    for (const d of r.left) if (!/^E0\d{3}$/.test(d.code)) throw new Error(`diagnostic without a valid code: ${d.code} ${d.message}`);
    return done('diagnostics');
  }
  try {
    for (const name of r.right.modelNames) {
      const model = r.right.model(name, { seed: 1, ...(limits.maxMemory ? { maxMemory: limits.maxMemory } : {}) });
      const batch = tinyBatch(model.ir.inputs);
      if (model.ir.hasLoss) {
        // the step computes only what the losses need (a sampler output is not part of it)
        const trainer = new Trainer(model);
        if (trainer.compile(batch).every((s) => programFlops(s.fn, s.env) <= RUN_FLOPS)) trainer.step(batch);
      } else {
        const env = tinyDims(model.ir.inputs);
        if (programFlops(model.ir.fn, env) <= RUN_FLOPS) model.forward(batch);
        else specialize(optimize(model.ir.fn), env, 'f32', [], limits.maxMemory);
      }
    }
    return done('ok');
  } catch (e) {
    if (e instanceof RunError || e instanceof DiagnosticError || e instanceof DataError) return done('run-error');
    throw e;
  }
};
