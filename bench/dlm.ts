// dlm's side of the benchmark: compile once, then time the compiled module's run() directly (zero
// allocation per call), or the Trainer's step for training.
import { compileOrThrow, type Model } from '../compiler/index.js';
import { Trainer } from '../compiler/api/trainer.js';
import { selectOutputs } from '../compiler/train/step.js';
import type { IrFunction } from '../compiler/ir/ir.js';
import type { Tensor } from '../runtime/tensor.js';

export const MLP_SOURCE = `import nn
model MLP {
  input  x: f32[B, 784]
  target y: i32[B]
  layer l1 = nn.Dense(784, 128)
  layer l2 = nn.Dense(128, 64)
  layer l3 = nn.Dense(64, 10)
  output logits = l3(relu(l2(relu(l1(x)))))
  loss nn.cross_entropy(logits, y)
}`;

export const SMALL_SOURCE = `import nn
model Small {
  input  x: f32[B, 784]
  target y: i32[B]
  layer l1 = nn.Dense(784, 16)
  layer l2 = nn.Dense(16, 16)
  layer l3 = nn.Dense(16, 10)
  output logits = l3(sigmoid(l2(sigmoid(l1(x)))))
  loss nn.cross_entropy(logits, y)
}`;

export const MATMUL_SOURCE = 'model MM {\n  input a: f32[N, N]\n  input b: f32[N, N]\n  output c = a @ b\n}';

export const mlpModel = (): Model => compileOrThrow(MLP_SOURCE).model('MLP', { seed: 0 });

/** A zero-allocation runner for `f` at the given inputs, plus the compile time and the outputs. */
export const compiledRunner = (model: Model, f: IrFunction, inputs: Record<string, Tensor>) => {
  const t0 = performance.now();
  const spec = model.run(f, inputs);
  const compileMs = performance.now() - t0;
  const all: Record<string, Tensor> = { ...inputs };
  for (const p of model.ir.params) all[p.name] = { data: model.params[p.name]!, shape: p.type.shape as number[] };
  const ins = spec.schedule.inputs.map((s) => all[s.name]!.data);
  return {
    run: () => {
      spec.module.run(ins);
    },
    outputs: spec.outputs,
    compileMs,
    arenaBytes: spec.plan.arenaSize * 4,
    kernels: spec.schedule.kernels.length,
  };
};

export const forwardProgram = (m: Model) => selectOutputs(m.ir.fn, m.ir.outputs);

export const trainStep = (model: Model, batch: Record<string, Tensor>, lr: number) => {
  const trainer = new Trainer(model, { optimizer: 'sgd', hyper: { lr } });
  trainer.step(batch);
  return () => {
    trainer.step(batch);
  };
};
