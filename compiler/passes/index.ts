// THE optimization pipeline, as data. PRE_GRAD runs on a model's forward program before anything is
// differentiated (so gradients come from the stable forms); PIPELINE runs after differentiation, so
// gradient programs are simplified, deduplicated and pruned like any other program. Fusion and memory
// planning happen at scheduling (codegen/schedule.ts, codegen/plan.ts).
import { cse } from './cse.js';
import { dce } from './dce.js';
import { fold } from './fold.js';
import { lowerCustom } from './lowerCustom.js';
import { order } from './order.js';
import type { Pass } from './pass.js';
import { simplify } from './simplify.js';
import { sinkRows } from './sinkRows.js';
import { stabilize } from './stabilize.js';

export const PIPELINE: readonly Pass[] = [lowerCustom, simplify, fold, cse, simplify, dce, order];

export const PRE_GRAD: readonly Pass[] = [fold, stabilize, sinkRows];
