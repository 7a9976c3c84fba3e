// A labelled dataset held as flat typed arrays: x is count × Π(featureShape) floats (token ids are
// stored as exact small integers), y is count × Π(labelShape) integer labels (one per row by default;
// one per position for sequence targets, where −1 marks padding that no loss or metric counts).
export interface Dataset {
  readonly x: Float32Array;
  readonly y: Int32Array;
  readonly count: number;
  readonly featureShape: readonly number[];
  readonly labelShape?: readonly number[];
  /** For text data: the character of each token id (id 0 is the boundary, shown as '.'). */
  readonly vocab?: string;
}

/** Labels per row. */
export const labelsPerRow = (ds: Dataset): number => (ds.labelShape ?? []).reduce((a, b) => a * b, 1);
