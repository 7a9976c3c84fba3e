// PyTorch export: a readable Python file with an nn.Module whose parameters and buffers have the
// checkpoint's names and layouts (dlm's Dense W stays [in, out]; x @ W is written as such), a forward
// written statement by statement from the IR with each .dlm location as a comment, scan as a Python
// loop, the loss as a method, and the optimizer and training settings of the .dlm file with torch.optim.
import * as E from 'fp-ts/lib/Either.js';
import type { Model } from '../../api/model.js';
import { modelHash } from '../../cli/checkpoints.js';
import { error, note } from '../../diagnostics/codes.js';
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { lineText, lineCol } from '../../diagnostics/span.js';
import { CONST, INPUT, inputName, neededFrom, type IrFunction, type Node } from '../../ir/ir.js';
import { SCAN, SCAN_OUT } from '../../ir/scan.js';
import { sourceLookup } from '../../parse/modules.js';
import { torchRule } from '../../ops/export/torch.js';
import { raiseConvolutions } from '../../ops/export/raise.js';
import { allNodes, location } from '../prepare.js';
import { DimUnavailable, MethodWriter, bindInput, isPyName, pyNumber, selfPath, type DimSource } from './emit.js';
import { optimizerSection } from './optim.js';
import { PREAMBLE } from './preamble.js';

export interface TorchExportOptions {
  /** The .dlm file the model came from (shown in the header). */
  readonly source?: string;
  /** A checkpoint to mention in the usage comment. */
  readonly checkpoint?: string;
  readonly version?: string;
}

const unsupported = (f: IrFunction): Diagnostic[] =>
  allNodes(f).flatMap((n) => {
    if (n.op === INPUT || n.op === CONST || n.op === SCAN || n.op === SCAN_OUT) return [];
    const rule = torchRule(n.op);
    if (rule && 'emit' in rule) return [];
    const why = rule ? rule.unsupported : 'no PyTorch export rule is defined for it (compiler/ops/export/torch.ts)';
    return [error('E0801', n.span, `cannot export '${n.op}' to PyTorch: ${why}`, [note(`at ${location(n.span) || 'a generated node'}`)])];
  });

/** The user's own source line of a node (not the standard library's), for the comment above its statements. */
const userLine = (n: Node): string | undefined => {
  if (n.span.file.startsWith('stdlib:') || n.span.file === '<generated>') return undefined;
  const src = sourceLookup(n.span.file);
  return src ? lineText(src, lineCol(src, n.span.start).line) : undefined;
};

/** The inputs of a method (in declaration order) with their Python argument names. */
const methodArgs = (model: Model, f: IrFunction, roles: readonly string[]): { names: Map<string, string>; dims: Map<string, DimSource> } => {
  const used = new Set(f.nodes.filter((n) => n.op === INPUT).map(inputName));
  const names = new Map<string, string>();
  const dims = new Map<string, DimSource>();
  for (const i of model.ir.inputs) {
    if (!roles.includes(i.role) || !used.has(i.name)) continue;
    const py = isPyName(i.name) ? i.name : `${i.name}_`;
    names.set(i.name, py);
    i.type.shape.forEach((d, axis) => {
      if (typeof d === 'string' && /^\w+$/.test(d) && !dims.has(d)) dims.set(d, { arg: py, axis });
    });
  }
  return { names, dims };
};

/** One method: `def name(self, args):` with the nodes `roots` need, then `ret(values)` as its last lines. */
const method = (model: Model, f: IrFunction, name: string, roots: readonly number[], ret: (py: (id: number) => string) => string[], doc: string): string[] => {
  const needed = neededFrom(f, roots);
  const sub: IrFunction = { ...f, nodes: f.nodes.filter((n) => needed.has(n.id)) };
  const { names, dims } = methodArgs(model, sub, ['input', 'target']);
  const w = new MethodWriter(dims, userLine, [...names.values()]);
  const vals = new Map();
  w.emit(sub, vals, '        ', bindInput(names));
  const tail = ret((id) => vals.get(id)!.py).map((l) => `        ${l}`);
  const first = model.ir.params[0] ?? model.ir.states[0];
  const dtypeFrom = first ? selfPath(first.name, !model.ir.params.length) : [...names.values()][0];
  return [
    `    def ${name}(self${[...names.values()].map((a) => `, ${a}`).join('')}):`,
    `        """${doc}"""`,
    `        fd, dev = ${first ? `${dtypeFrom}.dtype, ${dtypeFrom}.device` : `torch.get_default_dtype(), ${dtypeFrom ?? 'None'}.device`}`,
    ...(w.lines.some((l) => /\btraining\b/.test(l.split('#')[0]!))
      ? ['        training = torch.tensor(1.0 if self.training else 0.0, dtype=fd, device=dev)']
      : []),
    ...w.header().map((l) => `        ${l}`),
    ...w.lines,
    ...tail,
    '',
  ];
};

const shapeList = (s: readonly (number | string)[]): string => s.join(', ');

const moduleSource = (model: Model, o: TorchExportOptions): string => {
  // convolutions lowered to patches and a matmul are written as F.conv2d (readable, and cuDNN's)
  const f: IrFunction = { ...model.ir.fn, nodes: raiseConvolutions(model.ir.fn.nodes) };
  const cls = isPyName(model.name) ? model.name : `Model_${model.name.replace(/\W/g, '_')}`;
  const outIds = model.ir.outputs.map((n) => f.outputs.find((o) => o.name === n)!.id);
  const forward = method(
    model,
    f,
    'forward',
    outIds,
    (py) => [
      outIds.length === 1 ? `return ${py(outIds[0]!)}` : `return {${model.ir.outputs.map((n, i) => `${JSON.stringify(n)}: ${py(outIds[i]!)}`).join(', ')}}`,
    ],
    `The model's ${outIds.length === 1 ? `output ${model.ir.outputs[0]}` : `outputs (${model.ir.outputs.join(', ')}) as a dict`}.`,
  );
  const losses = model.ir.losses;
  const stateIds = model.ir.stateUpdates.map((u) => u.value);
  const stateName = new Map(model.ir.states.map((s) => [s.id, s.name]));
  const lossMethod = losses.length
    ? method(
        model,
        f,
        'loss',
        [...losses.map((l) => l.id), ...stateIds],
        (py) => [
          ...(stateIds.length
            ? [
                'if self.training:  # the state updates of a training step (batch-norm running statistics)',
                ...model.ir.stateUpdates.map((u) => `    _set_buffer(self, ${JSON.stringify(stateName.get(u.target)!)}, ${py(u.value)}.detach())`),
              ]
            : []),
          losses.length === 1 ? `return ${py(losses[0]!.id)}` : `return {${losses.map((l) => `${JSON.stringify(l.name)}: ${py(l.id)}`).join(', ')}}`,
        ],
        losses.length === 1
          ? 'The loss (a scalar); in training mode it also updates the state buffers.'
          : `The losses by name (${losses.map((l) => l.name).join(', ')}).`,
      )
    : [];
  const init = [
    `    def __init__(self):`,
    `        super().__init__()`,
    `        # dlm's random key: the counter-based generator draws the same numbers as dlm for the same key`,
    `        self.random_key = ${pyNumber(model.opts.seed ?? 0, 'f32')}`,
    ...model.ir.params.map((p) => `        _add(self, ${JSON.stringify(p.name)}, nn.Parameter(torch.zeros(${shapeList(p.type.shape)})))`),
    ...model.ir.states.map((p) => `        _add(self, ${JSON.stringify(p.name)}, torch.zeros(${shapeList(p.type.shape)}), buffer=True)`),
    '',
    `    def load_dlm(self, path):`,
    `        """Loads a dlm checkpoint (safetensors): every parameter and buffer by name; optimizer slots are ignored."""`,
    `        tensors = load_safetensors(path)`,
    `        missing = [k for k in self.state_dict() if k not in tensors]`,
    `        if missing:`,
    `            raise KeyError(f"{path} has no tensor {missing[0]!r}")`,
    `        self.load_state_dict({k: tensors[k] for k in self.state_dict()})`,
    `        return self`,
    '',
    `    def save_dlm(self, path):`,
    `        """Writes parameters and buffers as a dlm checkpoint (\`dlm train --init-from\`, \`dlm eval --checkpoint\`)."""`,
    `        save_safetensors(path, self.state_dict(), {"format": "dlm", "model": ${JSON.stringify(model.name)}` +
      `, "model_hash": ${JSON.stringify(modelHash(model))}})`,
    '',
  ];
  const src = o.source ?? location(model.ir.span).replace(/:\d+:\d+$/, '');
  return [
    `# ${model.name}: a PyTorch module exported by dlm${o.version ? ` ${o.version}` : ''} from ${src} (${location(model.ir.span)}).`,
    `# Parameters and buffers have dlm's checkpoint names and layouts, so`,
    `#     model = ${cls}().load_dlm(${JSON.stringify(o.checkpoint ?? `checkpoints/${model.name}.safetensors`)})`,
    `# loads a trained model, and model.save_dlm(path) writes one back for dlm. Each statement of forward`,
    `# and loss ends with the .dlm location it was compiled from; re-export after changing the .dlm file.`,
    PREAMBLE,
    '',
    `class ${cls}(nn.Module):`,
    ...init,
    ...forward,
    ...lossMethod,
    ...optimizerSection(model, cls),
  ]
    .join('\n')
    .replace(/\n*$/, '\n');
};

/** The model as a PyTorch module (Python source), or E08xx diagnostics for what cannot be written. */
export const exportTorch = (model: Model, o: TorchExportOptions = {}): E.Either<readonly Diagnostic[], string> => {
  const bad = unsupported(model.ir.fn);
  if (bad.length) return E.left(bad);
  try {
    return E.right(moduleSource(model, o));
  } catch (e) {
    if (!(e instanceof DimUnavailable)) throw e;
    return E.left([error('E0802', model.ir.span, `cannot export ${model.name} to PyTorch: the size '${e.message}' is not the size of an axis of any input`)]);
  }
};
