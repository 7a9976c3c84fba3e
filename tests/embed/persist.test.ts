// Model.save / loadModel / loadTrainer: the library reads and writes the checkpoints `dlm train` writes,
// optimizer state included, to files or as bytes; a resumed trainer continues exactly.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { main } from '../../compiler/cli.js';
import { compileOrThrow, loadModel, loadTrainer, Trainer } from '../../compiler/index.js';
import { loadSafetensors } from '../../runtime/checkpoint.js';

const tmp = mkdtempSync(join(tmpdir(), 'dlm-persist-'));
const quiet = { log: () => {}, err: () => {}, color: false, stderrIsTTY: false };
const XOR = readFileSync('examples/xor.dlm', 'utf8');
const batch = {
  x: { data: Float32Array.of(0, 0, 0, 1, 1, 0, 1, 1), shape: [4, 2] },
  y: { data: Float32Array.of(0, 1, 1, 0), shape: [4, 1] },
};

test('a CLI checkpoint (with Adam state) loads through the API: the named model, its parameters, slots and step', async () => {
  const ckpt = join(tmp, 'p.safetensors');
  const code = await main(['train', 'examples/xor.dlm', '--model', 'Perceptron', '--data', 'examples/data/xor.csv', '--epochs', '2', '--out', ckpt], quiet);
  expect(code).toBe(0);
  const file = loadSafetensors(ckpt);
  // Perceptron is not the file's last model: the checkpoint's metadata picks it.
  const model = loadModel(XOR, ckpt, { path: 'examples/xor.dlm' });
  expect(model.name).toBe('Perceptron');
  expect(Array.from(model.params['out.W']!)).toEqual(Array.from(file.tensors['out.W']!.data));
  expect(model.shapeOf('out.W')).toEqual([2, 1]);
  const trainer = loadTrainer(model, ckpt);
  expect(trainer.t).toBe(Number(file.metadata['step']));
  expect(trainer.t).toBeGreaterThan(0);
  expect(Array.from(trainer.state['out.W.m']!)).toEqual(Array.from(file.tensors['@optimizer/out.W.m']!.data));
  expect(() => loadModel(XOR, new Uint8Array(3))).toThrow(/too short/);
}, 60_000);

test('save() bytes and save(path) resume a run exactly, and reject another model', () => {
  const a = compileOrThrow(XOR).model('Mlp', { seed: 1 });
  const ta = new Trainer(a);
  for (let i = 0; i < 5; i++) ta.step(batch);
  const bytes = a.save(undefined, ta);
  const path = join(tmp, 'mlp.safetensors');
  a.save(path, ta);
  const la = ta.step(batch).loss;
  for (const source of [bytes, path]) {
    const b = loadModel(XOR, source, { seed: 99 }); // the seed is irrelevant: every parameter comes from the checkpoint
    const tb = loadTrainer(b, source);
    expect(tb.t).toBe(5);
    expect(tb.step(batch).loss).toBe(la);
    expect(Array.from(b.params['h.W']!)).toEqual(Array.from(a.params['h.W']!));
  }
  expect(() => loadModel(XOR, bytes, { model: 'Perceptron' })).toThrow(/no tensor 'out.W'|has shape/);
});
