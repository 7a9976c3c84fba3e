// @ts-check
// The library API: compile a model from a string, run it, take gradients, train it, save it, load it
// back, and export it as a standalone module. Plain JavaScript (typed by dlm's declarations: editors
// check it), so Node runs it as it is:
//   node examples/api.mjs          (in this repository after npm ci, or in any project with dlm installed)
import * as E from 'fp-ts/lib/Either.js';
import { compile, loadModel, render, standaloneModule, Trainer } from 'dlm';

const source = `
import nn
model Regress {
  input  x: f32[B, 3]
  target y: f32[B, 1]
  layer  l1 = nn.Dense(3, 8)
  layer  l2 = nn.Dense(8, 1)
  output pred = l2(tanh(l1(x)))
  loss   nn.mse(pred, y)
  optimizer adam(lr = 0.05)
}`;

const compiled = compile(source, { path: 'regress.dlm' });
if (E.isLeft(compiled)) {
  console.error(render(compiled.left));
  process.exit(1);
}
const model = compiled.right.model('Regress', { seed: 42 });

// y = x0 − 2·x1 + 0.5·x2 on 64 points
const B = 64;
const x = Float32Array.from({ length: B * 3 }, (_, i) => Math.sin(i * 1.7));
const y = Float32Array.from({ length: B }, (_, i) => x[3 * i] - 2 * x[3 * i + 1] + 0.5 * x[3 * i + 2]);
const batch = { x: { data: x, shape: [B, 3] }, y: { data: y, shape: [B, 1] } };

const { loss, grads } = model.valueAndGrad(batch);
console.log(`initial loss ${loss.toFixed(4)}; |∂L/∂l1.W| = ${Math.hypot(...grads['l1.W']).toFixed(4)}`);

const trainer = new Trainer(model);
let last = loss;
for (let step = 1; step <= 300; step++) {
  last = trainer.step(batch).loss;
  if (step % 100 === 0) console.log(`step ${step}: loss ${last.toFixed(5)}`);
}
const one = { x: { data: Float32Array.from([1, 0, 0]), shape: [1, 3] } };
console.log('prediction for x = [1, 0, 0]:', model.forward(one)['pred'].data[0]);

// A checkpoint as bytes (model.save(path) writes a file), loaded into a fresh model.
const restored = loadModel(source, model.save());
console.log('restored model agrees:', restored.forward(one)['pred'].data[0] === model.forward(one)['pred'].data[0]);

// The same model as a standalone ES module: no dlm at run time, predict({ x }) → { pred }.
const { js } = standaloneModule(model, { dims: { B: [1] } });
const exported = await import(`data:text/javascript;base64,${Buffer.from(js).toString('base64')}`);
console.log('standalone module agrees:', exported.predict(one).pred.data[0] === model.forward(one)['pred'].data[0]);
if (!(last < 0.01)) { console.error(`training did not converge: loss ${last}`); process.exit(1); }
