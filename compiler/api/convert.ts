// PyTorch state_dict ↔ dlm parameters. A dlm layer at path `p` corresponds to the torch module at the
// same path (`self.p = nn.Linear(…)`); each stdlib layer kind knows its torch counterpart's tensors:
//   Dense            W [in, out] = weight [out, in]ᵀ;  b = bias
//   Conv1d/2d, ConvTranspose2d, Embedding: the same layout (weight, bias)
//   LayerNorm, BatchNorm2d: gamma = weight, beta = bias, running_mean/var as they are (num_batches_tracked dropped)
//   RNNCell          Wx = weight_ihᵀ, Wh = weight_hhᵀ, b = bias_ih + bias_hh
//   LSTMCell         the same with gates reordered: torch rows i, f, g, o → dlm columns i, f, o, g;
//                    b = bias_ih + bias_hh − forget_bias on the f gate (dlm adds forget_bias in the cell)
//   GRUCell          gates r, z, n in both; b = [b_ir + b_hr, b_iz + b_hz, b_in], bhn = b_hn
// torch's recurrent keys may end in _l0 (nn.LSTM/GRU/RNN, one layer) or not (nn.LSTMCell/…); dlm → torch
// writes `suffix` ('_l0' unless told). Biases torch splits in two are summed in float64 on the way in
// and written as (b, 0) — (b, forget_bias) on an LSTM's f gate — on the way out, so dlm → torch → dlm is
// the identity.
import type { Tensor } from '../../runtime/tensor.js';
import type { LayerInfo as LayerInstance } from '../check/elab.js';
import type { Model } from './model.js';
import { RunError } from './errors.js';

type Arrays = Record<string, Float64Array>;
/** torch tensors: values and shape */
type Shaped = Record<string, readonly [Float64Array, readonly number[]]>;
interface Layout {
  /** torch tensor names (after the module path) that this layer reads; `?` marks the recurrent suffix. */
  readonly torch: readonly string[];
  toDlm(t: (name: string) => Float64Array, dims: (name: string) => readonly number[], l: LayerInstance): Arrays;
  toTorch(d: (name: string) => Float64Array, dims: (name: string) => readonly number[], l: LayerInstance): Shaped;
}

/** [r, c] row-major → [c, r] */
const transpose = (a: Float64Array, r: number, c: number): Float64Array => {
  const out = new Float64Array(a.length);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = a[i * c + j]!;
  return out;
};
const add = (a: Float64Array, b: Float64Array) => a.map((x, i) => x + b[i]!);
/** Blocks of `size` rows (or elements) reordered: out block k = in block order[k]. */
const blocks = (a: Float64Array, size: number, order: readonly number[]): Float64Array => {
  const out = new Float64Array(a.length);
  order.forEach((from, k) => {
    out.set(a.subarray(from * size, (from + 1) * size), k * size);
  });
  return out;
};
// torch i, f, g, o → dlm i, f, o, g, and back (the same swap of the last two gates)
const LSTM_ORDER = [0, 1, 3, 2];

const same = (pairs: readonly [string, string][]): Layout => ({
  torch: pairs.map(([, t]) => t),
  toDlm: (t) => Object.fromEntries(pairs.map(([d, tn]) => [d, t(tn)])),
  toTorch: (d, dims) => Object.fromEntries(pairs.map(([dn, t]) => [t, [d(dn), dims(dn)] as const])),
});

const recurrent = (gates: number, reorder: readonly number[] | undefined, kind: 'rnn' | 'lstm' | 'gru'): Layout => ({
  torch: ['weight_ih?', 'weight_hh?', 'bias_ih?', 'bias_hh?'],
  toDlm: (t, dims, l): Arrays => {
    const [din, gh] = dims('Wx') as [number, number];
    const h = gh / gates;
    const rows = (a: Float64Array) => (reorder ? blocks(a, h * (a.length / gh), reorder) : a);
    const Wx = transpose(rows(t('weight_ih?')), gh, din),
      Wh = transpose(rows(t('weight_hh?')), gh, h);
    const bih = rows(t('bias_ih?')),
      bhh = rows(t('bias_hh?'));
    if (kind === 'gru') return { Wx, Wh, b: Float64Array.from([...add(bih, bhh).subarray(0, 2 * h), ...bih.subarray(2 * h)]), bhn: bhh.slice(2 * h) };
    const b = add(bih, bhh);
    if (kind === 'lstm') for (let j = h; j < 2 * h; j++) b[j]! -= l.args['forget_bias'] ?? 0;
    return { Wx, Wh, b };
  },
  toTorch: (d, dims, l) => {
    const [din, gh] = dims('Wx') as [number, number];
    const h = gh / gates;
    const rows = (a: Float64Array) => (reorder ? blocks(a, h * (a.length / gh), reorder) : a);
    const bhh = new Float64Array(gh);
    if (kind === 'gru') bhh.set(d('bhn'), 2 * h);
    if (kind === 'lstm') bhh.fill(l.args['forget_bias'] ?? 0, h, 2 * h);
    return {
      'weight_ih?': [rows(transpose(d('Wx'), din, gh)), [gh, din]],
      'weight_hh?': [rows(transpose(d('Wh'), h, gh)), [gh, h]],
      'bias_ih?': [rows(d('b')), [gh]],
      'bias_hh?': [rows(bhh), [gh]],
    };
  },
});

const LAYOUTS: ReadonlyMap<string, Layout> = new Map([
  [
    'Dense',
    {
      torch: ['weight', 'bias'],
      toDlm: (t, dims) => {
        const [i, o] = dims('W') as [number, number];
        return { W: transpose(t('weight'), o, i), b: t('bias') };
      },
      toTorch: (d, dims) => {
        const [i, o] = dims('W') as [number, number];
        return { weight: [transpose(d('W'), i, o), [o, i]], bias: [d('b'), [o]] };
      },
    },
  ],
  [
    'Conv2d',
    same([
      ['W', 'weight'],
      ['b', 'bias'],
    ]),
  ],
  [
    'Conv1d',
    same([
      ['W', 'weight'],
      ['b', 'bias'],
    ]),
  ],
  [
    'ConvTranspose2d',
    same([
      ['W', 'weight'],
      ['b', 'bias'],
    ]),
  ],
  ['Embedding', same([['W', 'weight']])],
  [
    'LayerNorm',
    same([
      ['gamma', 'weight'],
      ['beta', 'bias'],
    ]),
  ],
  [
    'BatchNorm2d',
    same([
      ['gamma', 'weight'],
      ['beta', 'bias'],
      ['running_mean', 'running_mean'],
      ['running_var', 'running_var'],
    ]),
  ],
  ['RNNCell', recurrent(1, undefined, 'rnn')],
  ['LSTMCell', recurrent(4, LSTM_ORDER, 'lstm')],
  ['GRUCell', recurrent(3, undefined, 'gru')],
]);
const DENSE_LIKE = new Set(['DenseAct']);

const layoutOf = (kind: string): Layout | undefined => LAYOUTS.get(DENSE_LIKE.has(kind) ? 'Dense' : kind);

export interface ConvertOptions {
  /** Recurrent tensor suffix written by toTorch ('_l0', as nn.LSTM; '' as nn.LSTMCell). */
  readonly suffix?: string;
}

/** The model's parameters and states with the values in `model`, keyed by name. */
const dlmTables = (model: Model) => ({ ...model.params, ...model.states });
const dimsOf = (model: Model) => {
  const all = [...model.ir.params, ...model.ir.states];
  return (name: string): readonly number[] => all.find((p) => p.name === name)!.type.shape as number[];
};
const convertible = (model: Model): LayerInstance[] => {
  const names = new Set([...model.ir.params, ...model.ir.states].map((p) => p.name));
  const covered = new Set<string>();
  const out: LayerInstance[] = [];
  for (const l of model.ir.layers)
    if (layoutOf(l.kind)) {
      out.push(l);
      for (const n of names) if (n.startsWith(`${l.path}.`) && !n.slice(l.path.length + 1).includes('.')) covered.add(n);
    }
  const left = [...names].filter((n) => !covered.has(n));
  if (left.length)
    throw new RunError(
      [],
      `no PyTorch counterpart is known for ${left.map((n) => `'${n}'`).join(', ')} of ${model.name}` +
        `: only the stdlib's ${[...LAYOUTS.keys(), ...DENSE_LIKE].join(', ')} convert`,
    );
  return out;
};

/** dlm → a PyTorch state_dict (float32 tensors named as torch's modules name them). */
export const toTorchStateDict = (model: Model, opts: ConvertOptions = {}): Record<string, Tensor> => {
  const tables = dlmTables(model),
    dims = dimsOf(model),
    suffix = opts.suffix ?? '_l0';
  const out: Record<string, Tensor> = Object.create(null) as Record<string, Tensor>;
  for (const l of convertible(model)) {
    const lay = layoutOf(l.kind)!;
    const got = lay.toTorch(
      (n) => Float64Array.from(tables[`${l.path}.${n}`]!),
      (n) => dims(`${l.path}.${n}`),
      l,
    );
    for (const [k, [v, shape]] of Object.entries(got)) out[`${l.path}.${k.replace('?', suffix)}`] = { data: Float32Array.from(v), shape: [...shape] };
  }
  return out;
};

/**
 * A PyTorch state_dict → values for every parameter and state of `model` (float32), checked: every
 * tensor the model needs must be there with the right size, and every tensor given must be used.
 */
export const fromTorchStateDict = (model: Model, sd: Readonly<Record<string, Tensor>>): Record<string, Float32Array> => {
  const dims = dimsOf(model);
  const used = new Set<string>();
  const out: Record<string, Float32Array> = {};
  const problems: string[] = [];
  for (const l of convertible(model)) {
    const lay = layoutOf(l.kind)!;
    const read = (k: string): Float64Array => {
      const names = k.endsWith('?') ? [`${l.path}.${k.slice(0, -1)}_l0`, `${l.path}.${k.slice(0, -1)}`] : [`${l.path}.${k}`];
      const hit = names.find((n) => Object.hasOwn(sd, n));
      if (!hit) {
        problems.push(`no tensor '${names[0]}'${names.length > 1 ? ` (or '${names[1]}')` : ''} for ${l.kind} '${l.path}'`);
        return new Float64Array(0);
      }
      used.add(hit);
      return Float64Array.from(sd[hit]!.data);
    };
    let got: Arrays;
    try {
      got = lay.toDlm(read, (n) => dims(`${l.path}.${n}`), l);
    } catch {
      continue;
    }
    for (const [k, v] of Object.entries(got)) {
      const name = `${l.path}.${k}`;
      const want = dims(name).reduce((a, b) => a * b, 1);
      if (v.length !== want) {
        problems.push(`'${name}' needs ${want} values (${l.kind} [${dims(name).join(', ')}]), the state_dict gives ${v.length}`);
        continue;
      }
      out[name] = Float32Array.from(v);
    }
  }
  const extra = Object.keys(sd).filter((k) => !used.has(k) && !k.endsWith('num_batches_tracked'));
  if (extra.length) problems.push(`tensors with no place in ${model.name}: ${extra.join(', ')}`);
  if (problems.length) throw new RunError([], `cannot convert the state_dict into ${model.name}:\n  ${problems.join('\n  ')}`);
  return out;
};

/** Loads a converted state_dict into the model (parameters and states), all or nothing. */
export const loadTorchStateDict = (model: Model, sd: Readonly<Record<string, Tensor>>): void => {
  const values = fromTorchStateDict(model, sd);
  for (const [k, v] of Object.entries(values)) (Object.hasOwn(model.params, k) ? model.params : model.states)[k]!.set(v);
};
