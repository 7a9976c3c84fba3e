// THE list of primitives. Nothing outside compiler/ops/ switches on op names: passes, codegen and
// autodiff look entries up here and use their fields. Structural IR nodes (input, const, scan, scan_out: ir/ir.ts, ir/scan.ts) are not ops.
import { BINARY, WHERE } from './binary.js';
import { MATMUL } from './matmul.js';
import { MOVEMENT } from './movement.js';
import type { OpDef } from './op.js';
import { REDUCE } from './reduce.js';
import { IOTA } from './source.js';
import { UNIFORM } from './random.js';
import { CONV } from './conv.js';
import { COL2IM, IM2COL } from './im2col.js';
import { MAXPOOL2D, MAXPOOL2D_AT, MAXPOOL2D_GRAD, MAXPOOL3D, MAXPOOL3D_AT, MAXPOOL3D_GRAD } from './pool.js';
import { UNARY } from './unary.js';
import { UNARY_MATH } from './unaryMath.js';
import { GATHER, SCATTER_ADD } from './gather.js';
import { LINREC } from './linrec.js';
import { ARGMAX } from './argmax.js';
import { ARGSORT } from './sort.js';
import { SCATTER_ALONG, TAKE_ALONG } from './along.js';
import { UPSAMPLE, UPSAMPLE_GRAD } from './upsample.js';

const TABLE = {
  ...UNARY,
  ...UNARY_MATH,
  ...BINARY,
  where: WHERE,
  ...REDUCE,
  ...MOVEMENT,
  matmul: MATMUL,
  iota: IOTA,
  uniform: UNIFORM,
  ...CONV,
  im2col: IM2COL,
  col2im: COL2IM,
  maxpool2d: MAXPOOL2D,
  maxpool2d_grad: MAXPOOL2D_GRAD,
  maxpool3d: MAXPOOL3D,
  maxpool3d_grad: MAXPOOL3D_GRAD,
  upsample: UPSAMPLE,
  upsample_grad: UPSAMPLE_GRAD,
  maxpool2d_at: MAXPOOL2D_AT,
  maxpool3d_at: MAXPOOL3D_AT,
  gather: GATHER,
  scatter_add: SCATTER_ADD,
  linrec: LINREC,
  argmax: ARGMAX,
  argsort: ARGSORT,
  take_along: TAKE_ALONG,
  scatter_along: SCATTER_ALONG,
} satisfies Record<string, OpDef>;

/** A primitive's name: what the checker and its lowerings may build (a typo is a type error). */
export type OpName = keyof typeof TABLE;

export const OPS: Readonly<Record<string, OpDef>> = TABLE;

export const isOpName = (name: string): name is OpName => Object.hasOwn(OPS, name);

export const opDef = (name: string): OpDef | undefined => (isOpName(name) ? OPS[name] : undefined);
