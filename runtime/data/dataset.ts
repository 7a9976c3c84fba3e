// A dataset held as flat typed arrays: x is count × Π(featureShape) floats (token ids are stored as
// exact small integers), y is count × Π(labelShape) labels: integer class indices (Int32Array; one per
// row by default, one per position for sequence targets, where −1 marks padding that no loss or metric
// counts) or float targets (Float32Array: regression values, several target columns).
export interface Dataset {
  readonly x: Float32Array;
  readonly y: Int32Array | Float32Array;
  readonly count: number;
  readonly featureShape: readonly number[];
  readonly labelShape?: readonly number[];
  /** For text data: the character of each token id (id 0 is the boundary, shown as '.'). */
  readonly vocab?: string;
  /** Names of the class indices, when the file gave string labels (sorted, index = position). */
  readonly classNames?: readonly string[];
  /** What y holds when that is known from the file: class indices or measured values. */
  readonly task?: 'classes' | 'values';
  /**
   * Features read from disk on demand (a file larger than memory): x is then empty and rows are
   * fetched a batch at a time. Labels stay in y.
   */
  readonly xRows?: RowReader;
}

/** Copies the given rows (dataset row numbers) into dst, one after another. */
export interface RowReader {
  read(rows: ArrayLike<number>, dst: Float32Array): void;
}

/** A dataset of integer class labels (the bundled digits, the word lists). */
export type ClassDataset = Dataset & { readonly y: Int32Array };

/** Labels per row. */
export const labelsPerRow = (ds: Dataset): number => (ds.labelShape ?? []).reduce((a, b) => a * b, 1);

/** Features per row. */
export const featuresPerRow = (ds: Dataset): number => ds.featureShape.reduce((a, b) => a * b, 1);

/** An empty label array of the same kind as the dataset's. */
export const labelArray = (ds: Dataset, n: number): Int32Array | Float32Array => (ds.y instanceof Float32Array ? new Float32Array(n) : new Int32Array(n));
