// The training step computes only what training reads: the losses, the logged scalar outputs and the
// output scored for accuracy. A sampler output (a 25-step denoising loop written with scan, as in a
// diffusion model) is left to eval/predict/run, so it costs the step nothing.
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, test } from 'vitest';
import { optimize } from '../compiler/api/model.js';
import { programFlops } from '../compiler/codegen/stats.js';
import { compile, Trainer } from '../compiler/index.js';

const source = (withSampler: boolean) => `
import nn
model Denoiser {
  input x: f32[B, 16]
  layer net = nn.Dense(16, 16)
  let noise = randn_like(x)
  let pred = net(x + noise)
  output kl = mean(pred * pred)
  ${
    withSampler
      ? `fn denoise(z) = z - 0.1 * net(z)
  output samples = scan(denoise, randn([8, 16]), length = 25)[-1]`
      : ''
  }
  loss mean(square(pred - noise)) + 0.1 * kl
}`;

const stepFlops = (withSampler: boolean): { flops: number; outputs: string[] } => {
  const r = compile(source(withSampler), { path: 'denoiser.dlm' });
  if (E.isLeft(r)) throw new Error(r.left.map((d) => d.message).join('\n'));
  const trainer = new Trainer(r.right.model(undefined, { seed: 0 }), { optimizer: 'sgd', hyper: { lr: 0.1 } });
  const f = optimize(trainer.program.fn);
  return { flops: programFlops(f, new Map([['B', 32]])), outputs: f.outputs.map((o) => o.name) };
};

describe('training step contents', () => {
  test('an output the loss does not need adds no FLOPs to the training step', () => {
    const plain = stepFlops(false);
    const sampler = stepFlops(true);
    expect(sampler.outputs).not.toContain('samples');
    expect(sampler.outputs).toContain('kl');
    expect(sampler.flops).toBe(plain.flops);
  });

  test('the sampler output is still computed by the forward pass', () => {
    const r = compile(source(true), { path: 'denoiser.dlm' });
    if (E.isLeft(r)) throw new Error('does not check');
    const m = r.right.model(undefined, { seed: 0 });
    const out = m.forward({ x: { data: new Float32Array(2 * 16), shape: [2, 16] } });
    expect(out['samples']?.shape).toEqual([8, 16]);
  });
});
