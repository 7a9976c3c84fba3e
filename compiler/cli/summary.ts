// `dlm summary`: the model per layer, as Keras' summary() and torchinfo show it — each layer instance
// (nested sub-layers indented) with its type, output shape (symbolic dims bound by `--dim B=…` when
// given), parameters (a layer's count includes its sub-layers') and non-trainable state, then totals
// and memory: parameters, state, and the forward pass's planned arena for the given dims.
import type { Model } from '../api/model.js';
import { specialize } from '../pipeline.js';
import { selectOutputs } from '../train/step.js';
import { dimEval, fmtDim } from '../types/dims.js';
import type { TensorType } from '../types/types.js';
import { dimEnv } from './inspect.js';
import type { Out } from './io.js';

const KiB = 1024;

/** `f32[32, 16]` for `f32[B, 16]` when B is bound by --dim, else the declared dims. */
const concreteShapeText = (t: TensorType, env: ReadonlyMap<string, number>, given: ReadonlySet<string>): string => {
  const dims = t.shape.map((d) => {
    if (typeof d === 'number' || !given.size) return fmtDim(d);
    const v = dimEval(d, env);
    return v === undefined ? fmtDim(d) : String(v);
  });
  return t.shape.length ? `${t.dtype}[${dims.join(', ')}]` : t.dtype;
};
const bytes = (n: number): string => (n >= KiB * KiB ? `${(n / KiB / KiB).toFixed(2)} MiB` : n >= KiB ? `${(n / KiB).toFixed(1)} KiB` : `${n} B`);
const count = (n: number): string => n.toLocaleString('en-US');

const table = (rows: readonly (readonly string[])[], right: ReadonlySet<number>): string[] => {
  const w = rows[0]!.map((_, c) => rows.reduce((m, r) => Math.max(m, r[c]!.length), 0));
  return rows.map((r) =>
    r
      .map((cell, c) => (right.has(c) ? cell.padStart(w[c]!) : cell.padEnd(w[c]!)))
      .join('   ')
      .trimEnd(),
  );
};

export const layerSummary = (out: Out, model: Model, dims: readonly string[] = []): void => {
  const ir = model.ir;
  const env = dimEnv(ir.fn, dims);
  const given = new Set(dims.map((d) => d.split('=')[0]!));
  const size = (name: string): number => model.params[name]?.length ?? model.states[name]?.length ?? 0;
  const under = (path: string, names: readonly string[]) => names.filter((n) => n.startsWith(`${path}.`));
  const params = ir.params.map((p) => p.name),
    states = ir.states.map((s) => s.name);
  const rows: string[][] = [['layer (type)', 'output shape', 'params', 'non-trainable']];
  for (const l of ir.layers) {
    const depth = l.path.split('.').length - 1;
    const shape = l.outputs.length ? l.outputs.map((t) => concreteShapeText(t, env, given)).join(' | ') : '—';
    const p = under(l.path, params).reduce((s, n) => s + size(n), 0),
      st = under(l.path, states).reduce((s, n) => s + size(n), 0);
    rows.push([`${'  '.repeat(depth)}${l.path.split('.').pop()} (${l.kind})`, shape, count(p), st ? count(st) : '']);
  }
  const inLayers = new Set(ir.layers.flatMap((l) => [...under(l.path, params), ...under(l.path, states)]));
  for (const p of ir.params) if (!inLayers.has(p.name)) rows.push([`${p.name} (param)`, concreteShapeText(p.type, env, given), count(size(p.name)), '']);
  const nParams = params.reduce((s, n) => s + size(n), 0),
    nState = states.reduce((s, n) => s + size(n), 0);
  out.log(`model ${ir.name}`);
  for (const i of ir.inputs) out.log(`  ${i.role.padEnd(6)} ${i.name}: ${concreteShapeText(i.type, env, given)}`);
  for (const o of ir.outputs) {
    const id = ir.fn.outputs.find((q) => q.name === o)?.id;
    const t = ir.fn.nodes.find((n) => n.id === id)?.type;
    if (t) out.log(`  output ${o}: ${concreteShapeText(t, env, given)}`);
  }
  out.log('');
  for (const line of table(rows, new Set([2, 3]))) out.log(`  ${line}`);
  out.log('');
  out.log(`  trainable parameters: ${count(nParams)} (${bytes(nParams * 4)})`);
  out.log(`  non-trainable state:  ${count(nState)} (${bytes(nState * 4)})`);
  const forward = selectOutputs(ir.fn, ir.outputs);
  let arena = '';
  try {
    const spec = specialize(forward, dimEnv(forward, dims));
    arena = `  forward pass for ${[...env].map(([k, v]) => `${k}=${v}`).join(', ') || 'these shapes'}: arena ${bytes(spec.plan.arenaSize * 4)}`;
  } catch {
    arena = '';
  }
  if (arena) out.log(arena);
  if (!dims.length && env.size) out.log(`  (symbolic dims shown as declared; --dim ${[...env.keys()][0]}=32 binds them)`);
};
