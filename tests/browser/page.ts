// The page the browser test loads: dlm's library, bundled for browsers, compiles a .dlm model, trains it
// a few steps and runs its forward pass. The test calls window.dlmRun and compares with Node.
import * as E from 'fp-ts/lib/Either.js';
import { compile, render, Trainer } from 'dlm';
import { decodeSafetensors, encodeSafetensors } from 'dlm/runtime';

declare const document: { title: string };

interface Job {
  readonly source: string;
  readonly x: number[];
  readonly y: number[];
  readonly B: number;
  readonly steps: number;
}

const run = (job: Job) => {
  const r = compile(job.source, { path: 'page.dlm' });
  if (E.isLeft(r)) throw new Error(render(r.left));
  const model = r.right.model(undefined, { seed: 7 });
  const F = job.x.length / job.B;
  const batch = { x: { data: Float32Array.from(job.x), shape: [job.B, F] }, y: { data: Int32Array.from(job.y), shape: [job.B] } };
  const trainer = new Trainer(model);
  const losses = Array.from({ length: job.steps }, () => trainer.step(batch).loss);
  const out = model.forward({ x: batch.x });
  const name = Object.keys(out)[0]!;
  // The runtime's safetensors codec round-trips in the browser too.
  const bytes = encodeSafetensors({ w: { data: model.params['l1.W']!, shape: [model.params['l1.W']!.length] } });
  const back = decodeSafetensors(bytes, 'page').tensors['w']!.data;
  return { losses, output: Array.from(out[name]!.data), roundTrip: back.every((v, i) => v === model.params['l1.W']![i]) };
};

(globalThis as unknown as { dlmRun: typeof run }).dlmRun = run;
document.title = 'dlm ready';
