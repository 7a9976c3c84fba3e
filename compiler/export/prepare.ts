// The programs the exporters translate, and what they share: source locations and the walk over
// every node (scan bodies included).
import type { Model } from '../api/model.js';
import { RANDOM_KEY, TRAINING_FLAG } from '../check/hypers.js';
import { lineCol } from '../diagnostics/span.js';
import type { Span } from '../diagnostics/span.js';
import { CONST, INPUT, inputName, inputRole, type IrFunction, type Node } from '../ir/ir.js';
import { SCAN, scanInfo } from '../ir/scan.js';
import { sourceLookup } from '../parse/modules.js';
import { optimize } from '../pipeline.js';
import { raiseConvolutions } from '../ops/export/raise.js';
import { selectOutputs } from '../train/step.js';

/** `file.dlm:line:col` of a span ('' for generated nodes). */
export const location = (s: Span): string => {
  if (s.file === '<generated>') return '';
  const src = sourceLookup(s.file);
  if (!src) return s.file;
  const { line, col } = lineCol(src, s.start);
  return `${s.file.startsWith('stdlib:') ? s.file : s.file.split(/[\\/]/).pop()}:${line}:${col}`;
};

/** Every node of f and of the scan bodies inside it, outer nodes first. */
export const allNodes = (f: IrFunction): Node[] => f.nodes.flatMap((n) => (n.op === SCAN ? [n, ...allNodes(scanInfo(n).body)] : [n]));

/**
 * The inference program of a model: its outputs (all, or the named ones) with training() = 0 and the
 * random key fixed to the model's seed, then the optimization passes (which drop the training-only
 * branches: dropout becomes the identity). Convolutions lowered to patches and a matmul are written
 * back as conv2d.
 */
export const inferenceFunction = (model: Model, outputs: readonly string[] = model.ir.outputs): IrFunction => {
  const f = selectOutputs(model.ir.fn, outputs);
  const fixed: Record<string, number> = { [TRAINING_FLAG]: 0, [RANDOM_KEY]: model.opts.seed ?? 0 };
  const nodes = raiseConvolutions(f.nodes).map(
    (n): Node =>
      n.op === INPUT && inputRole(n) === 'hyper' && Object.hasOwn(fixed, inputName(n))
        ? { id: n.id, op: CONST, inputs: [], attrs: { value: fixed[inputName(n)]!, dtype: 'f32' }, type: n.type, span: n.span }
        : n,
  );
  return optimize({ ...f, nodes });
};
