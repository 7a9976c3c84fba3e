// What tests/mutantsSinkRows*.test.ts compare: a small model with one loop, the program after
// passes/sinkRows.ts (and dce) printed without spans, its ids renumbered in order of appearance, each
// loop body apart.
import { printFunction } from '../../compiler/ir/print.js';
import { dce } from '../../compiler/passes/dce.js';
import { sinkRows } from '../../compiler/passes/sinkRows.js';
import { compileOk } from './compile.js';

/** The printed program without spans or the top level's inputs, ids renumbered per function. */
export const canon = (text: string): string => {
  const scopes = [new Map<string, number>()];
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (/^\s+fn \w+ \{$/.test(line)) scopes.push(new Map());
    const ids = scopes[scopes.length - 1]!;
    const l = line.replace(/\s+@\S+$/, '').replace(/%(\d+)/g, (_, d: string) => {
      if (!ids.has(d)) ids.set(d, ids.size);
      return `%${ids.get(d)}`;
    });
    if (/^\s+\}$/.test(line) && scopes.length > 1) scopes.pop();
    if (!/^ {2}%\d+: .* = input (input|param|target) /.test(l)) out.push(l);
  }
  return out.join('\n');
};

// the top level's inputs (numbered %0 … %12 in this order)
export const source = (pre: string, post: string, opts = 'axis = 1, checkpoint = 2', extra = '') => `model S {
  input x: f32[B, 5, 3]
  input xt: f32[5, B, 3]
  input ids: i32[B, 5]
  param E: f32[5, 3] = zeros
  param W: f32[3, 4] = zeros
  param b: f32[4] = zeros
  param U: f32[4, 4] = zeros
  param R: f32[4, 4] = zeros
  param h0: f32[4] = zeros
  param c: f32[1, 4] = zeros
  input x4: f32[5, B, 4]
  target yt: f32[B, 5, 4]
  fn step(h, ut) = tanh(ut + h @ U)
  fn step2(h, ut, vt) = tanh(ut * vt + h @ U)
  let u = ${pre}
  let hs = scan(step, broadcast_to(h0, [B, 4]), u, ${opts})
  let o = ${post}
  output o = o
  loss sum(o)${extra}
}`;
export const unsunk = (src: string) => compileOk(src).model(undefined, { seed: 1, passes: { disable: ['sinkRows'] } }).ir.fn;
export const sunk = (src: string) => canon(printFunction(dce.run(sinkRows.run(unsunk(src)))));
