// "Did you mean": names, members, modules, keyword arguments, initializers, optimizers, train settings,
// CLI commands and flags, and per-command help. Each case is what a PyTorch user typed.
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, test } from 'vitest';
import { editDistance, suggestions } from '../compiler/diagnostics/suggest.js';
import { compile } from '../compiler/index.js';
import { runCli as run } from './helpers/cli.js';

const notesOf = (src: string): { code: string; message: string; notes: string[] }[] => {
  const r = compile(src, { path: 'user.dlm' });
  if (E.isRight(r)) return [];
  return r.left.map((d) => ({ code: d.code, message: d.message, notes: d.notes.map((n) => n.message) }));
};

const model = (body: string, head = 'import nn\n') => `${head}model M {\n  input x: f32[B, 4]\n  target y: i32[B]\n${body}\n}\n`;

describe('suggestions', () => {
  test('edit distance counts a transposition as one edit', () => {
    expect(editDistance('Dence', 'Dense')).toBe(1);
    expect(editDistance('adma', 'adam')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(suggestions('zzzzzz', ['Dense', 'relu'])).toEqual([]);
  });

  test('nn.Dence suggests Dense', () => {
    const [d] = notesOf(model('  layer l = nn.Dence(4, 3)\n  output o = l(x)\n  loss nn.cross_entropy(o, y)'));
    expect(d).toMatchObject({ code: 'E0101', message: "module 'nn' has no member 'Dence'", notes: ['did you mean `Dense`?'] });
  });

  test('swish suggests silu and nn.crossentropy suggests cross_entropy (aliases and near names)', () => {
    const ds = notesOf(model('  layer l = nn.Dense(4, 3)\n  output o = l(swish(x))\n  loss nn.crossentropy(o, y)'));
    expect(ds.find((d) => d.message === "unknown name 'swish'")?.notes).toEqual(['did you mean `silu`?']);
    expect(ds.find((d) => d.message.includes("'crossentropy'"))?.notes).toEqual(['did you mean `cross_entropy`?']);
  });

  test('import losses names the modules that exist, computed from the stdlib', () => {
    const [d] = notesOf('import losses\n');
    expect(d?.code).toBe('E0103');
    expect(d?.notes).toContain('did you mean `nn`?');
    const list = d?.notes.find((n) => n.startsWith('standard modules:'));
    expect(list).toBe('standard modules: ad, nn, rl, seq');
  });

  test('keyword arguments, initializers, optimizers and train settings', () => {
    const kw = notesOf('fn f(x, alpha = 1) = x * alpha\n' + model('  output o = f(x, alpah = 2)\n  loss mean(o)', ''));
    expect(kw[0]?.notes).toContain('did you mean `alpha`?');
    const init = notesOf(model('  param w: f32[4] = glorot_unifrom\n  output o = x * w\n  loss mean(o)', ''));
    expect(init[0]?.notes[0]).toBe('did you mean `glorot_uniform`?');
    const setting = notesOf(model('  output o = x\n  loss mean(o)\n  train { epoch = 3 }', ''));
    expect(setting[0]?.notes[0]).toBe('did you mean `epochs`?');
  });

  test('an unknown optimizer suggests the right one (at check time, E0110)', () => {
    const r = compile(model('  param w: f32[4] = zeros\n  output o = x * w\n  loss mean(o)\n  optimizer adma(lr = 0.1)', ''), { path: 'user.dlm' });
    expect(E.isLeft(r)).toBe(true);
    if (E.isRight(r)) return;
    expect(r.left[0]!.code).toBe('E0110');
    expect(JSON.stringify(r.left)).toContain('did you mean `adam`?');
  });
});

describe('CLI suggestions and per-command help', () => {
  test('unknown commands and flags suggest the closest, with exit 2', async () => {
    const cmd = await run('trian', 'x.dlm');
    expect(cmd).toMatchObject({ code: 2 });
    expect(cmd.stderr).toContain("unknown command 'trian'; did you mean 'train'?");
    const flag = await run('train', 'examples/xor.dlm', '--epoch', '3');
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("unknown option '--epoch' for 'dlm train'; did you mean '--epochs'?");
    expect(flag.stderr).not.toContain('positional argument');
  });

  test('a flag of another command is refused, naming the commands that take it', async () => {
    const r = await run('check', 'examples/xor.dlm', '--epochs', '3');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("'dlm check' does not take --epochs (dlm train does");
    expect((await run('check', 'examples/xor.dlm', '--shapes')).code).toBe(0);
  });

  test("dlm help CMD and dlm CMD --help print that command's page", async () => {
    const a = await run('help', 'train');
    const b = await run('train', '--help');
    expect(a.code).toBe(0);
    expect(a.stdout).toContain('usage: dlm train FILE.dlm');
    expect(a.stdout).toContain('--epochs');
    expect(a.stdout).not.toContain('gradcheck FILE');
    expect(b.stdout).toBe(a.stdout);
    expect((await run('help')).stdout).toContain('gradcheck FILE');
    expect((await run('help', 'trane')).stderr).toContain("did you mean 'train'?");
  });
});
