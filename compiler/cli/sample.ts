// `dlm sample`: evaluates one output of a (trained) model and writes it as a PNG grid of images — samples
// from a generator or a VAE's prior, or reconstructions of held-out digits; for a character-level
// language model it writes generated words instead (sampleText.ts).
import { loadBundledMnist } from '../../runtime/data/mnist.js';
import { writePngGrid } from '../../runtime/png.js';
import { setOwn, type Tensor } from '../../runtime/tensor.js';
import type { Model } from '../api/model.js';
import { selectOutputs } from '../train/step.js';
import { loadParams } from './checkpoints.js';
import { UsageError, type Out } from './io.js';
import { isLanguageModel, sampleTextCommand } from './sampleText.js';

export interface SampleFlags {
  readonly output?: string;
  readonly checkpoint?: string;
  readonly n: number;
  readonly out?: string;
  readonly seed: number;
  readonly temperature?: number;
}

export const sampleCommand = (out: Out, model: Model, f: SampleFlags): void => {
  if (f.checkpoint) loadParams(model, f.checkpoint);
  const name = f.output ?? model.ir.outputs[0];
  if (!name || !model.ir.outputs.includes(name))
    throw new UsageError(`model ${model.name} has no output '${f.output}' (outputs: ${model.ir.outputs.join(', ')})`);
  if (isLanguageModel(model, name)) {
    sampleTextCommand(out, model, { output: name, n: f.n, seed: f.seed, temperature: f.temperature ?? 1 });
    return;
  }
  const outFile = f.out ?? 'samples.png';
  const fn = selectOutputs(model.ir.fn, [name]);
  const inputs: Record<string, Tensor> = {};
  const needs = model.ir.inputs.filter((i) => fn.nodes.some((n) => n.op === 'input' && n.attrs['name'] === i.name));
  if (needs.length) {
    // Outputs that read the input (reconstructions) get the first n held-out digits.
    const { test } = loadBundledMnist({ seed: f.seed });
    const n = Math.min(f.n, test.count);
    for (const i of needs) {
      if (i.role !== 'input') throw new UsageError(`output '${name}' needs the target '${i.name}'`);
      setOwn(inputs, i.name, { data: test.x.subarray(0, n * 784), shape: [n, ...i.type.shape.slice(1).map(Number)] });
    }
  }
  const spec = model.run(fn, inputs);
  const y = spec.outputs[name]!;
  const shape = spec.schedule.outputs.find((o) => o.name === name)!.shape;
  const count = shape[0] ?? 1;
  const per = y.length / count;
  const side = Math.round(Math.sqrt(per));
  if (side * side !== per) throw new UsageError(`output '${name}' has ${per} values per item, not a square image`);
  const shown = Math.min(count, f.n);
  const original = needs.length === 1 ? inputs[needs[0]!.name] : undefined;
  if (original && original.data.length === shown * per) {
    // a reconstruction: each original beside its reconstruction, pairs filling an even number of columns
    const pairs = new Float32Array(2 * shown * per);
    for (let i = 0; i < shown; i++) {
      pairs.set(original.data.subarray(i * per, (i + 1) * per), 2 * i * per);
      pairs.set(y.subarray(i * per, (i + 1) * per), (2 * i + 1) * per);
    }
    writePngGrid(outFile, pairs, 2 * shown, side, side, 2 * Math.ceil(Math.sqrt(shown)));
    out.log(`${shown} reconstructions of ${side}×${side} from '${name}', each beside its original (left), written to ${outFile}`);
    return;
  }
  writePngGrid(outFile, y, shown, side, side);
  out.log(`${shown} images of ${side}×${side} from '${name}' written to ${outFile}`);
};
