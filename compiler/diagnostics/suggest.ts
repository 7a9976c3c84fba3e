// "Did you mean …?" for every unknown name: the closest candidate by edit distance, or a known alias
// from PyTorch/Keras (swish → silu, Linear → Dense). Used by the checker, the optimizer lookup and the CLI.
import { note, type Note } from './diagnostic.js';

/** Names users bring from PyTorch, Keras or TF.js, mapped to dlm's. Keys are compared lower-case. */
const ALIASES: ReadonlyMap<string, readonly string[]> = new Map([
  ['swish', ['silu']],
  ['crossentropy', ['cross_entropy']],
  ['crossentropyloss', ['cross_entropy']],
  ['categorical_crossentropy', ['cross_entropy']],
  ['sparse_categorical_crossentropy', ['cross_entropy']],
  ['nll_loss', ['cross_entropy']],
  ['bce', ['binary_cross_entropy', 'bce_with_logits']],
  ['bceloss', ['binary_cross_entropy']],
  ['bcewithlogitsloss', ['bce_with_logits']],
  ['binary_crossentropy', ['binary_cross_entropy']],
  ['mseloss', ['mse']],
  ['mean_squared_error', ['mse']],
  ['l1loss', ['mae']],
  ['mean_absolute_error', ['mae']],
  ['linear', ['Dense']],
  ['fc', ['Dense']],
  ['batchnorm1d', ['BatchNorm2d', 'LayerNorm']],
  ['batchnorm', ['BatchNorm2d']],
  ['batchnormalization', ['BatchNorm2d']],
  ['layernormalization', ['LayerNorm']],
  ['conv2d_transpose', ['ConvTranspose2d', 'conv_transpose2d']],
  ['conv2dtranspose', ['ConvTranspose2d']],
  ['maxpool2d', ['max_pool2d']],
  ['avgpool2d', ['avg_pool2d']],
  ['maxpooling2d', ['max_pool2d']],
  ['averagepooling2d', ['avg_pool2d']],
  ['flatten', ['flatten']],
  ['matmul', ['matmul']],
  ['mm', ['matmul']],
  ['bmm', ['matmul']],
  ['dot', ['matmul']],
  ['reduce_sum', ['sum']],
  ['reduce_mean', ['mean']],
  ['reduce_max', ['max']],
  ['amax', ['max']],
  ['clamp', ['clip']],
  ['clip_by_value', ['clip']],
  ['var', ['variance']],
  ['cat', ['concat']],
  ['concatenate', ['concat']],
  ['view', ['reshape']],
  ['permute', ['transpose']],
  ['expand', ['broadcast_to']],
  ['unsqueeze', ['expand_dims']],
  ['logistic', ['sigmoid']],
  ['xavier', ['glorot_uniform', 'xavier_uniform']],
  ['kaiming', ['he_uniform', 'kaiming_uniform']],
  ['he', ['he_uniform']],
  ['sgd_momentum', ['sgd']],
  ['losses', ['nn']],
  ['optim', ['nn']],
  ['torch', ['nn']],
  ['layers', ['nn']],
]);

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions), case-insensitive. */
export const editDistance = (a: string, b: string): number => {
  const s = a.toLowerCase(),
    t = b.toLowerCase();
  const n = s.length,
    m = t.length;
  let prev2 = new Array<number>(m + 1).fill(0);
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  for (let i = 1; i <= n; i++) {
    const cur = new Array<number>(m + 1).fill(0);
    cur[0] = i;
    for (let j = 1; j <= m; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      cur[j] = d;
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[m]!;
};

/** Ignoring case and underscores: `crossEntropy`, `cross_entropy` and `CrossEntropy` are the same. */
const squash = (s: string): string => s.toLowerCase().replace(/_/g, '');

/**
 * The candidates worth suggesting for `name`, best first (at most three): an alias, a candidate equal
 * up to case and underscores, then those within edit distance max(1, round(len/3)).
 */
export const suggestions = (name: string, candidates: Iterable<string>): string[] => {
  const pool = [...new Set(candidates)].filter((c) => c !== name && !c.startsWith('_'));
  const out: string[] = [];
  const alias = ALIASES.get(name.toLowerCase()) ?? ALIASES.get(squash(name));
  for (const a of alias ?? []) if (pool.includes(a) && !out.includes(a)) out.push(a);
  // a known alias is the answer: near names would only add noise (swish → silu, not also sinh)
  if (out.length) return out.slice(0, 3);
  for (const c of pool) if (squash(c) === squash(name) && !out.includes(c)) out.push(c);
  const limit = Math.max(1, Math.round(name.length / 3));
  const near = pool
    .map((c) => [c, Math.min(editDistance(name, c), editDistance(squash(name), squash(c)))] as const)
    .filter(([c, d]) => d <= limit && !out.includes(c))
    .sort((x, y) => x[1] - y[1] || x[0].localeCompare(y[0]));
  for (const [c] of near) out.push(c);
  return out.slice(0, 3);
};

/** "did you mean `silu`?" as a one-line suffix, or '' when nothing is close. */
export const didYouMeanText = (name: string, candidates: Iterable<string>, quote = '`'): string => {
  const s = suggestions(name, candidates);
  if (!s.length) return '';
  const q = (x: string) => `${quote}${x}${quote}`;
  return s.length === 1 ? `did you mean ${q(s[0]!)}?` : `did you mean ${s.slice(0, -1).map(q).join(', ')} or ${q(s[s.length - 1]!)}?`;
};

/** The same as a diagnostic note (none when nothing is close). */
export const didYouMean = (name: string, candidates: Iterable<string>): Note[] => {
  const t = didYouMeanText(name, candidates);
  return t ? [note(t)] : [];
};
