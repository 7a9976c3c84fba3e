// PyTorch export, validated with Debian's python3-torch (one Python process for all families): the
// exported module's forward outputs, loss and autograd gradients in float64 equal dlm's float64 ones
// within 1e-9 (of each tensor's scale), in evaluation and in training mode, and one train_step with the
// exported optimizer moves the parameters as dlm's Trainer does. Skipped, with the reason printed, when
// `import torch` fails.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, test } from 'vitest';
import type { Model } from '../compiler/api/model.js';
import { gradientsOf } from '../compiler/autodiff/grad.js';
import { RANDOM_KEY, TRAINING_FLAG } from '../compiler/check/hypers.js';
import { interpret } from '../compiler/ir/interp.js';
import { nd } from '../compiler/ops/ndarray.js';
import type { NdArray } from '../compiler/ops/op.js';
import { HYPER_LR, HYPER_STEP, buildTrainStep, resolveOptimizer } from '../compiler/train/step.js';
import { main } from '../compiler/cli.js';
import { initFrom, loadParams, saveCheckpoint } from '../compiler/cli/checkpoints.js';
import { exportTorch } from '../compiler/export/torch/export.js';
import { IrBuilder } from '../compiler/ir/builder.js';
import { TORCH_RULES } from '../compiler/ops/export/torch.js';
import { OPS } from '../compiler/ops/registry.js';
import type { Tensor } from '../runtime/tensor.js';
import { FAMILIES, familyModel, randomInputs, type Family } from './helpers/exportFamilies.js';

const PYTHON = '/usr/bin/python3';
const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
const torchMissing = probe.status !== 0 ? `python3-torch is not importable (${(probe.stderr || String(probe.error)).trim().split('\n').pop()})` : '';
if (torchMissing) console.warn(`tests/export_torch.test.ts skipped: ${torchMissing}; apt-get install -y python3-torch libopenblas0-pthread`);

const plain = (t: Tensor) => ({ shape: t.shape, data: Array.from(t.data) });

/** dlm's float64 value and gradients of each loss with respect to the parameters it trains. */
const lossGrads = (m: Model, inputs: Record<string, Tensor>, training: boolean) =>
  Object.fromEntries(
    m.ir.losses.map((g) => {
      const b = new IrBuilder(m.ir.fn.nodes);
      const grads = gradientsOf(b, g.id, g.params);
      const names = g.params.map((id) => m.ir.params.find((p) => p.id === id)!.name);
      const f = b.finish(`${g.name}_grad`, [{ name: 'loss', id: g.id }, ...names.map((n, i) => ({ name: `grad:${n}`, id: grads[i]! }))]);
      const out = m.run(f, inputs, 'f64', { training }).outputs;
      return [g.name, { loss: out['loss']![0]!, grads: Object.fromEntries(names.map((n) => [n, Array.from(out[`grad:${n}`]!)])) }];
    }),
  );

/**
 * dlm's training step in float64 (the reference interpreter on the compiled step's IR, as Trainer.step
 * runs it: each loss in order, the step count t from 1, the random key of step t), for two batches.
 * Returns each parameter's total change, the states after, and the parameters whose gradient is zero in
 * exact arithmetic (a bias before batch norm: |g| below 1e-10 of the largest), whose Adam steps are
 * rounding noise scaled to ±lr in any implementation.
 */
const referenceSteps = (m: Model, batches: readonly Record<string, Tensor>[]) => {
  const vals = new Map<string, NdArray>();
  const env = new Map<string, number>();
  for (const i of m.ir.inputs)
    i.type.shape.forEach((d, a) => {
      if (typeof d === 'string') env.set(d, batches[0]![i.name]!.shape[a]!);
    });
  for (const p of [...m.ir.params, ...m.ir.states]) vals.set(p.name, nd(p.type.shape as number[], Float64Array.from((m.params[p.name] ?? m.states[p.name])!)));
  const start = new Map(m.ir.params.map((p) => [p.name, vals.get(p.name)!.data]));
  const noise = new Set<string>();
  const groups = m.ir.losses.map((g) => {
    const st = m.ir.train?.settings ?? {};
    const clip = {
      ...(typeof st['clip_norm'] === 'number' ? { clipNorm: st['clip_norm'] } : {}),
      ...(typeof st['clip_value'] === 'number' ? { clipValue: st['clip_value'] } : {}),
    };
    const r = resolveOptimizer(m.ir, clip, g);
    if ('errors' in r) throw new Error(r.errors[0]!.message);
    const program = buildTrainStep(m.ir, r.config, g);
    for (const s of program.slots) vals.set(s.name, nd(vals.get(s.param)!.shape, new Float64Array(vals.get(s.param)!.data.length)));
    return { program, lr: r.config.hyper?.['lr'] ?? 0.01 };
  });
  batches.forEach((batch, b) => {
    const t = b + 1;
    for (const { program, lr } of groups) {
      const ins: Record<string, NdArray> = Object.fromEntries(vals);
      for (const [name, x] of Object.entries(batch)) ins[name] = nd(x.shape, Float64Array.from(x.data));
      const scalar = (v: number) => nd([], Float64Array.of(v));
      Object.assign(ins, {
        [HYPER_LR]: scalar(lr),
        [HYPER_STEP]: scalar(t),
        [RANDOM_KEY]: scalar(((m.opts.seed ?? 0) * 7919 + t * 31) % 16777216),
        [TRAINING_FLAG]: scalar(1),
      });
      const r = interpret(program.fn, ins, env);
      const byId = new Map(program.fn.nodes.filter((n) => n.op === 'input').map((n) => [n.id, n.attrs['name'] as string]));
      for (const [target, v] of r.updates) vals.set(byId.get(target)!, v);
    }
  });
  // which gradients are zero up to rounding: measured on the first batch, in evaluation of the train step's loss
  const g0 = lossGrads(m, batches[0]!, true);
  for (const { grads } of Object.values(g0)) {
    const top = Math.max(...Object.values(grads).map(maxAbs));
    for (const [name, g] of Object.entries(grads)) if (maxAbs(g) < 1e-10 * top) noise.add(name);
  }
  return {
    delta: Object.fromEntries(m.ir.params.map((p) => [p.name, Array.from(vals.get(p.name)!.data, (v, i) => v - start.get(p.name)![i]!)])),
    states: Object.fromEntries(m.ir.states.map((s) => [s.name, Array.from(vals.get(s.name)!.data)])),
    noise: [...noise],
  };
};

interface Case {
  family: string;
  module: string;
  cls: string;
  checkpoint: string;
  inputs: Record<string, unknown>;
  second: Record<string, unknown>;
  step: Record<string, unknown>;
}

/** Everything dlm computes for one family, and the files Python needs. */
const prepare = (fam: Family, dir: string, k: number) => {
  const m = familyModel(fam);
  const r = exportTorch(m, { source: fam.file });
  if (E.isLeft(r)) throw new Error(r.left.map((d) => d.message).join('\n'));
  const module = `family_${k}`;
  writeFileSync(join(dir, `${module}.py`), r.right);
  const checkpoint = join(dir, `${module}.safetensors`);
  saveCheckpoint(m, undefined, checkpoint, {});
  const inputs = randomInputs(m, 3, 11 + k, 4);
  const forward = m.forward(inputs, 'f64');
  const want = {
    forward: Object.fromEntries(
      Object.entries(forward)
        .filter(([n]) => m.ir.outputs.includes(n))
        .map(([n, t]) => [n, Array.from(t.data)]),
    ),
    eval: lossGrads(m, inputs, false),
    train: lossGrads(m, inputs, true),
  };
  const second = randomInputs(m, 3, 101 + k, 4);
  const { delta, states, noise } = referenceSteps(m, [inputs, second]);
  const cls = /^class (\w+)\(nn\.Module\):\n {4}def __init__\(self\):/m.exec(r.right)![1]!;
  const spec = (b: Record<string, Tensor>) =>
    Object.fromEntries(Object.entries(b).map(([n, t]) => [n, { ...plain(t), int: m.ir.inputs.find((i) => i.name === n)!.type.dtype !== 'f32' }]));
  const c: Case = { family: fam.family, module, cls, checkpoint, inputs: spec(inputs), second: spec(second), step: { delta, states, noise } };
  return { c, want, model: m };
};

const SCRIPT = `
import importlib, inspect, json, sys
import torch
torch.set_default_dtype(torch.float64)
sys.path.insert(0, sys.argv[1])
cases = json.load(open(sys.argv[2]))
results = []
def tensors(spec):
    return {k: (torch.tensor(v["data"], dtype=torch.long if v["int"] else torch.float64).reshape(v["shape"])) for k, v in spec.items()}
def flat(t):
    return t.detach().reshape(-1).tolist()
for c in cases:
    mod = importlib.import_module(c["module"])
    model = getattr(mod, c["cls"])().double().load_dlm(c["checkpoint"])
    x = tensors(c["inputs"])
    out = {"family": c["family"]}
    model.eval()
    fwd_args = {k: v for k, v in x.items() if k in inspect.signature(model.forward).parameters}
    y = model(**fwd_args)
    out["forward"] = {k: flat(v) for k, v in (y.items() if isinstance(y, dict) else [(mod_out, y) for mod_out in c["outputs"]])}
    loss_args = {k: v for k, v in x.items() if k in inspect.signature(model.loss).parameters}
    for mode in ("eval", "train"):
        getattr(model, mode)()
        model.random_key = float(mod.SEED)
        saved = {k: b.clone() for k, b in model.named_buffers()}
        res = {}
        for name, opt, _ in mod.make_optimizers(model):
            model.zero_grad()
            value = model.loss(**loss_args)
            value = value[name] if isinstance(value, dict) else value
            value.backward()
            params = [p for g in opt.param_groups for p in g["params"]]
            names = {id(p): n for n, p in model.named_parameters()}
            res[name] = {"loss": value.item(), "grads": {names[id(p)]: flat(p.grad) for p in params}}
        for k, b in saved.items():
            mod._set_buffer(model, k, b)
        out[mode] = res
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    opts = mod.make_optimizers(model)
    mod.train_step(model, opts, loss_args, 1)
    x2 = tensors(c["second"])
    mod.train_step(model, opts, {k: v for k, v in x2.items() if k in loss_args}, 2)
    out["delta"] = {n: flat(p.detach() - before[n]) for n, p in model.named_parameters()}
    out["states"] = {n: flat(b) for n, b in model.named_buffers()}
    model.save_dlm(c["checkpoint"].replace(".safetensors", "_after.safetensors"))
    results.append(out)
# the README's snippets, run as written from the export directory
import contextlib, io, os
os.chdir(sys.argv[1])
torch.set_default_dtype(torch.float32)
os.environ.update(RANK="0", WORLD_SIZE="1", MASTER_ADDR="127.0.0.1", MASTER_PORT=sys.argv[4])
snippets = {}
for name in ("snippet_train.py", "snippet_ddp.py"):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(open(name).read(), {"__name__": "__main__"})
    snippets[name] = out.getvalue()
json.dump({"families": results, "snippets": snippets}, open(sys.argv[3], "w"))
`;

/** The code blocks of a language in the README's Export section, in order. */
const readmeBlocks = (lang: string): string[] => {
  const text = readFileSync('README.md', 'utf8');
  const section = text.slice(text.indexOf('## Export'), text.indexOf('## How the compiler works'));
  return [...section.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
};

const maxAbs = (b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(b[i]!));
  return m;
};

/**
 * max |a − b| / max |b|, the scale floored at `floor`: a gradient that is zero in exact arithmetic (a
 * key bias under softmax) is rounding noise in both, measured against the loss's other gradients.
 */
const rel = (a: readonly number[], b: ArrayLike<number>, floor = 1e-300): number => {
  let err = 0;
  for (let i = 0; i < b.length; i++) err = Math.max(err, Math.abs(a[i]! - b[i]!));
  expect(a.length).toBe(b.length);
  return err / Math.max(maxAbs(b), floor);
};

describe.skipIf(Boolean(torchMissing))('the exported PyTorch module equals dlm', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dlm-torch-'));
  const prepared = FAMILIES.map((f, k) => prepare(f, dir, k));
  let results: Record<string, Record<string, unknown>> = {};
  let snippets: Record<string, string> = {};

  test('one Python process runs every family', () => {
    const cases = prepared.map((p) => ({ ...p.c, outputs: p.model.ir.outputs }));
    writeFileSync(join(dir, 'cases.json'), JSON.stringify(cases));
    writeFileSync(join(dir, 'check.py'), SCRIPT);
    // the README's snippets read digits.py and Digits.safetensors (mnist_mlp's module and checkpoint)
    const [train, ddp] = readmeBlocks('python');
    writeFileSync(join(dir, 'snippet_train.py'), train!);
    writeFileSync(join(dir, 'snippet_ddp.py'), ddp!);
    const mlp = familyModel(FAMILIES[0]!);
    writeFileSync(join(dir, 'digits.py'), (exportTorch(mlp) as E.Right<string>).right);
    saveCheckpoint(mlp, undefined, join(dir, 'Digits.safetensors'), {});
    const port = String(20000 + (process.pid % 20000));
    execFileSync(PYTHON, [join(dir, 'check.py'), dir, join(dir, 'cases.json'), join(dir, 'results.json'), port], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const all = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { families: Record<string, unknown>[]; snippets: Record<string, string> };
    results = Object.fromEntries(all.families.map((r) => [r['family'] as string, r]));
    snippets = all.snippets;
  }, 300_000);

  test.each(prepared.map((p) => [p.c.family, p] as const))('%s: forward, loss and gradients in float64, and one optimizer step', (family, p) => {
    const r = results[family] as {
      forward: Record<string, number[]>;
      eval: Record<string, { loss: number; grads: Record<string, number[]> }>;
      train: typeof r.eval;
      delta: Record<string, number[]>;
      states: Record<string, number[]>;
    };
    expect(r, 'the Python run').toBeDefined();
    for (const [name, want] of Object.entries(p.want.forward)) expect(rel(r.forward[name]!, want), `output ${name}`).toBeLessThan(1e-9);
    for (const mode of ['eval', 'train'] as const) {
      for (const [loss, w] of Object.entries(p.want[mode])) {
        const got = r[mode][loss]!;
        expect(Math.abs(got.loss - w.loss), `${mode} ${loss}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(w.loss)));
        const floor = 1e-4 * Math.max(...Object.values(w.grads).map(maxAbs));
        for (const [param, g] of Object.entries(w.grads)) expect(rel(got.grads[param]!, g, floor), `${mode} d${loss}/d${param}`).toBeLessThan(1e-9);
      }
    }
    // Two steps on two batches (the first Adam step does not depend on the betas; the second does).
    const step = p.c.step as { delta: Record<string, number[]>; states: Record<string, number[]>; noise: string[] };
    for (const [param, d] of Object.entries(step.delta)) {
      if (step.noise.includes(param)) {
        expect(maxAbs(r.delta[param]!), `${param} moves at most 2·lr`).toBeLessThan(0.1);
        continue;
      }
      expect(rel(r.delta[param]!, d), `two steps of ${param}`).toBeLessThan(1e-9);
    }
    for (const [s, v] of Object.entries(step.states)) expect(rel(r.states[s]!, v), `state ${s}`).toBeLessThan(1e-9);
  });

  test('the README’s PyTorch snippets run: loading a dlm checkpoint, train_step, DistributedDataParallel, and back', () => {
    expect(snippets['snippet_train.py']).toContain("(8, 10) ['loss']");
    for (const file of ['Digits_torch.safetensors', 'Digits_ddp.safetensors']) {
      const back = familyModel(FAMILIES[0]!);
      const initial = Float32Array.from(back.params['l1.W']!);
      loadParams(back, join(dir, file));
      expect(rel(Array.from(back.params['l1.W']!), initial), `${file} holds trained weights`).toBeGreaterThan(1e-4);
    }
  });

  test('a checkpoint saved by the exported module comes back into dlm (--checkpoint, --init-from)', () => {
    const p = prepared[0]!;
    const after = p.c.checkpoint.replace('.safetensors', '_after.safetensors');
    const back = familyModel(FAMILIES[0]!);
    const initial = Object.fromEntries(back.ir.params.map((q) => [q.name, Float64Array.from(back.params[q.name]!)]));
    loadParams(back, after);
    const r = results[p.c.family] as { delta: Record<string, number[]> };
    for (const q of back.ir.params)
      expect(
        rel(
          Array.from(back.params[q.name]!, (v, i) => v - initial[q.name]![i]!),
          r.delta[q.name]!,
        ),
        q.name,
      ).toBeLessThan(1e-3);
    expect(initFrom(familyModel(FAMILIES[0]!), after).sort()).toEqual(back.ir.params.map((q) => q.name).sort());
  });
});

test('every primitive has a PyTorch rule or says why it cannot be exported', () => {
  expect(Object.keys(OPS).filter((op) => !Object.hasOwn(TORCH_RULES, op))).toEqual([]);
});

test('dlm export --format torch writes the module (from -o’s extension too)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dlm-torch-cli-'));
  const logs: string[] = [];
  const io = { log: (s: string) => logs.push(s), err: (s: string) => logs.push(s), color: false, stderrIsTTY: false };
  expect(await main(['export', 'examples/char_lstm.dlm', '-o', join(dir, 'lstm.py')], io), logs.join('\n')).toBe(0);
  const py = readFileSync(join(dir, 'lstm.py'), 'utf8');
  expect(py).toMatch(/^class CharLSTM\(nn\.Module\):/m);
  expect(py).toMatch(/for t in range\(16\):/);
  expect(py).toMatch(/# char_lstm\.dlm:18: output logits = readout\(states\[0\]\)/);
  expect(py).toMatch(/logits = \(t\d+ \+ self\.readout\.b\) {2}# stdlib:nn\.dlm:\d+:\d+/);
  expect(py).toContain('torch.optim.Adam(params, lr=0.01');
  expect(await main(['export', 'examples/char_lstm.dlm', '--format', 'torch', '--output', 'logits', '-o', join(dir, 'x.py')], io)).toBe(2);
  // a convolution dlm lowered to patches and a matmul is written as a convolution again
  const lenet = (exportTorch(familyModel(FAMILIES[1]!)) as E.Right<string>).right;
  expect(lenet).toMatch(/= _conv2d\(x, self\.c1\.W, stride=\(1, 1\)/);
  expect(lenet).not.toMatch(/= _im2col\(/);
});
