// `dlm neighbours`: the nearest neighbours of probe tokens in an embedding table that a model outputs
// ([V, D], one row per token, e.g. `output embeddings = center.W`), by cosine similarity
// cos(a, b) = a·b / (‖a‖·‖b‖). Tokens are letters when the model trains on the words data (V = 27, id 0
// the boundary), otherwise row numbers.
import { LETTERS } from '../../runtime/data/text.js';
import type { Model } from '../api/model.js';
import { inputNodes, inputRole } from '../ir/ir.js';
import { outputType } from '../api/metrics.js';
import { selectOutputs } from '../train/step.js';
import { loadParams } from './checkpoints.js';
import { UsageError, type Out } from './io.js';

export interface NeighbourFlags {
  readonly checkpoint?: string;
  readonly output?: string;
  readonly probe?: string;
  readonly n: number;
}

/** For each probe row, the n other rows with the highest cosine similarity, best first. */
export const nearestRows = (table: ArrayLike<number>, V: number, D: number, probes: readonly number[], n: number): { row: number; cos: number }[][] => {
  const norm = Array.from({ length: V }, (_, i) => {
    let s = 0;
    for (let k = 0; k < D; k++) s += table[i * D + k]! ** 2;
    return Math.sqrt(s) || 1;
  });
  return probes.map((p) => {
    const sims: { row: number; cos: number }[] = [];
    for (let j = 0; j < V; j++) {
      if (j === p) continue;
      let dot = 0;
      for (let k = 0; k < D; k++) dot += table[p * D + k]! * table[j * D + k]!;
      sims.push({ row: j, cos: dot / (norm[p]! * norm[j]!) });
    }
    return sims.sort((a, b) => b.cos - a.cos).slice(0, n);
  });
};

export const neighboursCommand = (out: Out, model: Model, f: NeighbourFlags): void => {
  if (f.checkpoint) loadParams(model, f.checkpoint);
  const name = f.output ?? model.ir.outputs.find((o) => outputType(model, o)?.shape.length === 2 && !usesInputs(model, o));
  if (!name || !model.ir.outputs.includes(name)) {
    const what = f.output ? `output '${f.output}'` : 'output of type [V, D] that reads no input';
    throw new UsageError(`model ${model.name} has no ${what} (outputs: ${model.ir.outputs.join(', ')})`);
  }
  const t = outputType(model, name)!;
  const V = Number(t.shape[0]),
    D = Number(t.shape[1]);
  if (t.shape.length !== 2 || !Number.isInteger(V) || !Number.isInteger(D)) {
    throw new UsageError(`output '${name}' must be an embedding table [V, D] of fixed size, not [${t.shape.join(', ')}]`);
  }
  if (usesInputs(model, name)) throw new UsageError(`output '${name}' reads the model's inputs; neighbours needs a table of parameters`);
  const letters = V === LETTERS.length && model.ir.train?.settings['data'] === 'words';
  const tokens = (f.probe ?? (letters ? 'a,e,i,o,u' : '0,1,2'))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const rows = tokens.map((tok) => {
    const r = letters ? LETTERS.indexOf(tok) : /^\d+$/.test(tok) ? Number(tok) : -1;
    if (r < (letters ? 1 : 0) || r >= V) throw new UsageError(`--probe '${tok}' is not ${letters ? 'a letter a–z' : `a row number below ${V}`}`);
    return r;
  });
  const fn = selectOutputs(model.ir.fn, [name]);
  const table = model.run(fn, {}).outputs[name]!;
  const show = (r: number) => (letters ? (r === 0 ? '.' : LETTERS[r]!) : String(r));
  nearestRows(table, V, D, rows, f.n).forEach((ns, i) => {
    out.log(`${show(rows[i]!)}: ${ns.map((x) => `${show(x.row)} ${x.cos.toFixed(3)}`).join(', ')}`);
  });
};

/** Whether an output reads a model input or target (not only parameters, state and constants). */
const usesInputs = (model: Model, name: string): boolean =>
  inputNodes(selectOutputs(model.ir.fn, [name])).some((n) => ['input', 'target'].includes(inputRole(n)));
