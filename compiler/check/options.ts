// Lowering choices the checker makes while elaborating: compile options, never read from the
// environment here (the CLI reads DLM_CONV at its edge and passes the choice in).

export type ConvLowering = 'im2col' | 'direct';

export interface LoweringOptions {
  /** How conv2d with groups = 1 is lowered: 'im2col' (patches, then the tiled matmul kernel; the default) or 'direct' loop nests. */
  readonly convLowering?: ConvLowering;
}
