// Fitting loaded data to the model's declarations: the input's shape and dtype decide how rows are read,
// the target's how labels are (class indices, one-hot, float values). A mismatch is a diagnostic at the
// declaration (E0702 features, E0703 labels, E0712 a model a data file cannot feed) naming the file, the
// column or array, what it holds and what is declared, with the fix.
import type { Dataset, RowReader } from '../../runtime/data/dataset.js';
import { RunError } from '../api/errors.js';
import { outputType } from '../api/metrics.js';
import type { Model } from '../api/model.js';
import { error, note, type Code } from '../diagnostics/codes.js';
import type { Note } from '../diagnostics/diagnostic.js';
import { fmtType } from '../types/types.js';

/** What a loader read, before the model says what it means. */
export interface RawData {
  readonly file: string;
  readonly count: number;
  readonly x: Float32Array;
  /** Rows read on demand from a file larger than memory (x is then empty). */
  readonly xRows?: RowReader;
  /** Shape of one row as the file has it ([F] for a table). */
  readonly rowShape: readonly number[];
  /** "3 feature columns (a, b, c)", "array x of shape [100, 28, 28]". */
  readonly xWhat: string;
  readonly y?: Float32Array | Int32Array;
  readonly labelsPerRow: number;
  readonly yWhat: string;
  /** Where example i is in the file ("line 12"), when the format has lines. */
  readonly exampleWhere?: (i: number) => string;
  readonly classNames?: readonly string[];
  readonly task?: 'classes' | 'values';
  readonly vocab?: string;
  /** Suggestions for a feature mismatch (e.g. --features) and a label mismatch (e.g. --label-column). */
  readonly xFix?: readonly string[];
  readonly yFix?: readonly string[];
}

type Decl = Model['ir']['inputs'][number];

const fail = (code: Code, at: Decl | Model, message: string, notes: readonly string[]): never => {
  const span = 'span' in at ? at.span : null;
  throw new RunError([
    error(
      code,
      span,
      message,
      notes.map((n): Note => note(n)),
    ),
  ]);
};

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The one input and (optional) one target a data file feeds. */
export const feedSlots = (model: Model): { input: Decl; target: Decl | undefined } => {
  const inputs = model.ir.inputs.filter((i) => i.role === 'input'),
    targets = model.ir.inputs.filter((i) => i.role === 'target');
  if (inputs.length !== 1 || targets.length > 1) {
    const where = inputs[1] ?? targets[1] ?? model.ir;
    const has = `${plural(inputs.length, 'input')} and ${plural(targets.length, 'target')}`;
    fail('E0712', where as Decl, `a data file feeds one input and one target; ${model.name} declares ${has}`, [
      'train such a model from the library API (fit with your own batches)',
    ]);
  }
  return { input: inputs[0]!, target: targets[0] };
};

const dims = (d: Decl): (number | undefined)[] => d.type.shape.slice(1).map((x) => (typeof x === 'number' ? x : undefined));

/** Classes the model's scored output distinguishes (its last dim), when static. */
export const modelClasses = (model: Model): number | undefined => {
  const { target } = feedSlots(model);
  if (!target) return undefined;
  if (target.type.dtype === 'f32') {
    const d = dims(target);
    return d.length === 1 && (d[0] ?? 0) > 1 ? d[0] : undefined;
  }
  const out = model.ir.outputs.map((o) => outputType(model, o)).find((t) => t && t.shape.length === target.type.shape.length + 1);
  const k = out?.shape[out.shape.length - 1];
  return typeof k === 'number' ? k : undefined;
};

export interface FitOptions {
  readonly needLabels: boolean;
  readonly noteDefault?: string;
  readonly classes?: number;
}

export const fitToModel = (raw: RawData, model: Model, opts: FitOptions): Dataset => {
  const { input, target } = feedSlots(model);
  const want = dims(input);
  const per = raw.rowShape.reduce((a, b) => a * b, 1);
  const declared = want.every((d) => d !== undefined) ? (want as number[]).reduce((a, b) => a * b, 1) : undefined;
  const extra = opts.noteDefault ? [opts.noteDefault] : [];
  const inType = `input ${input.name} is ${fmtType(input.type)}`;
  let featureShape: number[];
  if (declared !== undefined) {
    const fix = [...extra, ...(raw.xFix ?? [])];
    if (per !== declared) fail('E0702', input, `${raw.file}: ${raw.xWhat}, but ${inType} (${plural(declared, 'value')} per example)`, fix);
    featureShape = want as number[];
  } else {
    if (raw.rowShape.length !== want.length || want.some((d, i) => d !== undefined && d !== raw.rowShape[i])) {
      fail('E0702', input, `${raw.file}: ${raw.xWhat}, which does not fit input ${input.name}: ${fmtType(input.type)}`, [...extra, ...(raw.xFix ?? [])]);
    }
    featureShape = [...raw.rowShape];
  }
  if (input.type.dtype === 'i32') {
    // (rows read on demand are not scanned here)
    for (let i = 0; i < raw.x.length; i++) {
      if (Number.isInteger(raw.x[i])) continue;
      fail('E0702', input, `${raw.file}: value ${raw.x[i]} of example ${Math.floor(i / per)} is not an integer, but ${inType} (token ids)`, extra);
    }
  }
  const base = {
    x: raw.x,
    ...(raw.xRows ? { xRows: raw.xRows } : {}),
    count: raw.count,
    featureShape,
    ...(raw.vocab ? { vocab: raw.vocab } : {}),
    ...(raw.classNames ? { classNames: raw.classNames } : {}),
    ...(raw.task ? { task: raw.task } : {}),
  };
  if (!target) return { ...base, y: new Int32Array(raw.count) };
  const tType = `target ${target.name} is ${fmtType(target.type)}`;
  if (!raw.y) {
    if (opts.needLabels) fail('E0703', target, `${raw.file} has no labels, but ${tType}`, raw.yFix ?? []);
    return { ...base, y: new Int32Array(raw.count * Math.max(1, raw.labelsPerRow)) };
  }
  const td = dims(target);
  const tw = td.every((d) => d !== undefined) ? (td as number[]).reduce((a, b) => a * b, 1) : raw.labelsPerRow;
  const classes = modelClasses(model) ?? opts.classes;
  const y = raw.y;
  // example i of the labels array, named as the file has it (a line of a table, else its 0-based index)
  const row = (i: number) => {
    const r = Math.floor(i / Math.max(1, raw.labelsPerRow));
    return raw.exampleWhere ? raw.exampleWhere(r) : `example ${r}`;
  };
  const names = raw.classNames ? `${raw.classNames.length} classes (${raw.classNames.join(', ')})` : '';
  const checkClasses = (k: number | undefined, what: string) => {
    if (raw.classNames && k !== undefined && raw.classNames.length > k) {
      fail('E0703', target, `${raw.file}: ${raw.yWhat} has ${names}, but the model scores ${k} (${what})`, ['give the output as many classes as the data has']);
    }
    for (let i = 0; i < y.length; i++) {
      const v = y[i]!;
      if (!Number.isInteger(v) || v < (tw > 1 && raw.labelsPerRow > 1 ? -1 : 0) || (k !== undefined && v >= k)) {
        const range = k !== undefined ? ` in 0…${k - 1}` : '';
        fail(
          'E0703',
          target,
          `${raw.file}: ${row(i)}: label ${v} is not a class index${range}; ${tType} (${what})`,
          Number.isInteger(v)
            ? ['check --label-column, or give the output more classes']
            : [`for float targets (regression) declare \`target ${target.name}: f32[B, 1]\``, ...(raw.yFix ?? [])],
        );
      }
    }
  };
  const perExample = `${raw.yWhat} (${plural(raw.labelsPerRow, 'value')} per example), but ${tType} (${tw} per example)`;
  if (target.type.dtype === 'i32') {
    if (raw.labelsPerRow !== tw) fail('E0703', target, `${raw.file}: ${perExample}`, raw.yFix ?? []);
    checkClasses(classes, 'integer class indices');
    return { ...base, y: y instanceof Int32Array ? y : Int32Array.from(y), ...(tw > 1 ? { labelShape: td as number[] } : {}), task: 'classes' };
  }
  if (tw > 1 && raw.labelsPerRow === 1) {
    // one class index per row, fed as one-hot rows
    checkClasses(tw, `one-hot rows of ${tw} classes`);
    return { ...base, y: y instanceof Int32Array ? y : Int32Array.from(y), task: 'classes' };
  }
  if (raw.labelsPerRow !== tw) fail('E0703', target, `${raw.file}: ${perExample}`, raw.yFix ?? []);
  if (raw.classNames && raw.classNames.length > 2 && tw === 1) {
    fail('E0703', target, `${raw.file}: ${raw.yWhat} has ${names}, but ${tType}, one value per example`, [
      `for classes declare \`target ${target.name}: i32[B]\` and an output with ${raw.classNames.length} scores`,
    ]);
  }
  return { ...base, y: y instanceof Float32Array ? y : Float32Array.from(y), ...(tw > 1 ? { labelShape: td as number[] } : {}) };
};
