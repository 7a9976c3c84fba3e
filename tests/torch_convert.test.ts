// PyTorch state_dicts ↔ dlm parameters (compiler/api/convert.ts), against torch itself: torch makes
// nn.Linear / nn.LSTM / nn.GRU / nn.RNN modules and an LSTM language model with its own random weights,
// and computes their outputs in float64; the converted weights give dlm the same outputs. The other way,
// dlm's own weights exported to torch's layout load into torch's modules and give dlm's outputs there.
// dlm → torch → dlm is the identity for every convertible layer. One Python process for the file.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { fromTorchStateDict, loadTorchStateDict, toTorchStateDict } from '../compiler/api/convert.js';
import { loadSafetensors } from '../runtime/checkpoint.js';
import type { Tensor } from '../runtime/tensor.js';
import { compileOk } from './helpers/compile.js';
import { main } from '../compiler/cli.js';
import { loadParams } from '../compiler/cli/checkpoints.js';
import type { Out } from '../compiler/cli/io.js';
import { maxRelErr, runTorch } from './helpers/torchParity.js';

const B = 2,
  T = 5;
const DIR = mkdtempSync(join(tmpdir(), 'dlm-convert-'));
const SEQ = (d: number) => Array.from({ length: B * T * d }, (_, i) => Math.sin(1.3 * i + 0.2));
const IDS = Array.from({ length: B * T }, (_, i) => (i * 7 + 3) % 11);

// dlm models, each the counterpart of a torch module built in the script below under the same names.
const MODELS: Record<string, string> = {
  linear: 'import nn\nmodel M {\n  input x: f32[B, 5]\n  layer fc = nn.Dense(5, 3)\n  output y = fc(x)\n}',
  lstm:
    'import seq\n' +
    'model M {\n' +
    '  input x: f32[B, T, 4]\n' +
    '  layer lstm = seq.LSTMCell(4, 6)\n' +
    '  output y = seq.lstm(lstm, x, seq.zeros_state(x, 6), seq.zeros_state(x, 6))[0]\n' +
    '}',
  gru: 'import seq\nmodel M {\n  input x: f32[B, T, 4]\n  layer gru = seq.GRUCell(4, 5)\n  output y = seq.gru(gru, x, seq.zeros_state(x, 5))\n}',
  rnn: 'import seq\nmodel M {\n  input x: f32[B, T, 4]\n  layer rnn = seq.RNNCell(4, 5)\n  output y = seq.rnn(rnn, x, seq.zeros_state(x, 5))\n}',
  lm: `import nn
import seq
model LM {
  input x: i32[B, T]
  layer embed = nn.Embedding(11, 4)
  layer lstm = seq.LSTMCell(4, 8)
  layer out = nn.Dense(8, 11)
  output y = out(seq.lstm(lstm, embed(x), seq.zeros_state(x, 8), seq.zeros_state(x, 8))[0])
}`,
  // the exported direction, with a forget-gate bias dlm adds as a constant
  lstm_fb:
    'import seq\n' +
    'model M {\n' +
    '  input x: f32[B, T, 4]\n' +
    '  layer lstm = seq.LSTMCell(4, 6, forget_bias = 1.0)\n' +
    '  output y = seq.lstm(lstm, x, seq.zeros_state(x, 6), seq.zeros_state(x, 6))[0]\n' +
    '}',
};
const inputOf = (name: string): Record<string, Tensor> =>
  name === 'linear'
    ? { x: { data: Float64Array.from(SEQ(5).slice(0, 10)), shape: [B, 5] } }
    : name === 'lm'
      ? { x: { data: Int32Array.from(IDS), shape: [B, T] } }
      : { x: { data: Float64Array.from(SEQ(4)), shape: [B, T, 4] } };
const dlmOut = (model: ReturnType<ReturnType<typeof compileOk>['model']>, name: string) => [...model.forward(inputOf(name) as never, 'f64')['y']!.data];

const SCRIPT = `
import struct
torch.manual_seed(0)
B, T = data['B'], data['T']
def make(name):
    if name == 'linear': return torch.nn.ModuleDict({'fc': torch.nn.Linear(5, 3)}), lambda m, x: m['fc'](x)
    if name in ('lstm', 'lstm_fb'): return torch.nn.ModuleDict({'lstm': torch.nn.LSTM(4, 6, batch_first=True)}), lambda m, x: m['lstm'](x)[0]
    if name == 'gru': return torch.nn.ModuleDict({'gru': torch.nn.GRU(4, 5, batch_first=True)}), lambda m, x: m['gru'](x)[0]
    if name == 'rnn': return torch.nn.ModuleDict({'rnn': torch.nn.RNN(4, 5, batch_first=True)}), lambda m, x: m['rnn'](x)[0]
    m = torch.nn.ModuleDict({'embed': torch.nn.Embedding(11, 4), 'lstm': torch.nn.LSTM(4, 8, batch_first=True), 'out': torch.nn.Linear(8, 11)})
    return m, lambda m, x: m['out'](m['lstm'](m['embed'](x))[0])
def inp(name):
    if name == 'lm': return torch.tensor(data['ids']).reshape(B, T)
    if name == 'linear': return torch.tensor(data['seq5'][:10]).reshape(B, 5)
    return torch.tensor(data['seq4']).reshape(B, T, 4)
def save_safetensors(path, sd):
    header, blobs, off = {}, [], 0
    for k in sorted(sd):
        b = sd[k].detach().to(torch.float32).contiguous().numpy().tobytes()
        header[k] = {'dtype': 'F32', 'shape': list(sd[k].shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b); off += len(b)
    h = json.dumps(header).encode()
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h))); f.write(h); f.write(b''.join(blobs))
out = {'imported': {}, 'exported': {}}
for name in data['imported']:
    with torch.no_grad():
        m, fwd = make(name)
        m = m.float()            # float32 weights (the default dtype here is float64), torch's own initialization
        for k, p in m.named_parameters():
            p.add_(0.1 * torch.randn_like(p))
            # dlm holds one bias where torch has two: on multiples of 2^-10 their sum is exact in float32,
            # so the comparison can be to float64 rounding (otherwise the sum rounds once, ~6e-8 relative)
            if 'bias' in k: p.copy_(torch.round(p * 1024) / 1024)
        sd = {k: v.clone() for k, v in m.state_dict().items()}
        save_safetensors(data['dir'] + '/' + name + '.safetensors', sd)
        y = fwd(m.double(), inp(name))
    out['imported'][name] = y.reshape(-1).tolist()
for name, sd in data['exported'].items():
    with torch.no_grad():
        m, fwd = make(name)
        m.load_state_dict({k: torch.tensor(v['data'], dtype=torch.float32).reshape(v['shape']) for k, v in sd.items()})
        out['exported'][name] = fwd(m.double(), inp(name)).reshape(-1).tolist()
emit(out)
`;

describe('PyTorch state_dicts', () => {
  const imported = ['linear', 'lstm', 'gru', 'rnn', 'lm'];
  const exportedNames = ['lstm_fb', 'gru', 'rnn', 'linear'];
  const exported = Object.fromEntries(exportedNames.map((n) => [n, compileOk(MODELS[n]!).model(undefined, { seed: 4 })]));
  let torch: { imported: Record<string, number[]>; exported: Record<string, number[]> } | undefined;
  beforeAll(() => {
    const sds = Object.fromEntries(
      exportedNames.map((n) => [
        n,
        Object.fromEntries(Object.entries(toTorchStateDict(exported[n]!)).map(([k, t]) => [k, { data: [...t.data], shape: t.shape }])),
      ]),
    );
    torch = runTorch('state_dict conversion', SCRIPT, { B, T, ids: IDS, seq4: SEQ(4), seq5: SEQ(5), dir: DIR, imported, exported: sds });
  });

  test.each(imported)("torch's %s weights, converted, give dlm torch's outputs (float64)", (name) => {
    if (!torch) return;
    const model = compileOk(MODELS[name]!).model();
    loadTorchStateDict(model, loadSafetensors(join(DIR, `${name}.safetensors`)).tensors);
    const y = dlmOut(model, name);
    expect(y.length).toBe(torch.imported[name]!.length);
    expect(maxRelErr(y, torch.imported[name]!)).toBeLessThan(1e-12);
  });

  test.each(exportedNames)("dlm's %s weights in torch's layout give torch dlm's outputs", (name) => {
    if (!torch) return;
    expect(maxRelErr(torch.exported[name]!, dlmOut(exported[name]!, name))).toBeLessThan(1e-12);
  });

  test('dlm → torch → dlm is the identity (bit for bit), for every convertible layer', () => {
    const src = `import nn
import seq
model All {
  input x: f32[B, 3, 8, 8]
  layer conv = nn.Conv2d(3, 4, 3)
  layer bn = nn.BatchNorm2d(4)
  layer up = nn.ConvTranspose2d(4, 2, 2)
  layer c1 = nn.Conv1d(2, 3, 3)
  layer ln = nn.LayerNorm(5)
  layer emb = nn.Embedding(7, 5)
  layer fc = nn.Dense(5, 6)
  layer act = nn.DenseAct(6, 2, relu)
  layer r = seq.RNNCell(5, 3)
  layer g = seq.GRUCell(5, 3)
  layer l = seq.LSTMCell(5, 3, forget_bias = 1.0)
  output y = sum(up(bn(conv(x))))
}`;
    const m = compileOk(src).model(undefined, { seed: 2 });
    for (const [k, v] of Object.entries({ ...m.params, ...m.states }))
      v.forEach((_, i) => {
        v[i] = Math.fround(Math.cos(k.length * 31 + i * 0.7) * 3);
      });
    const sd = toTorchStateDict(m);
    expect(Object.keys(sd)).toContain('l.weight_ih_l0');
    expect(sd['fc.weight']!.shape).toEqual([6, 5]);
    expect(sd['l.weight_hh_l0']!.shape).toEqual([12, 3]);
    const back = fromTorchStateDict(m, sd);
    for (const [k, v] of Object.entries({ ...m.params, ...m.states })) expect(Buffer.from(back[k]!.buffer).equals(Buffer.from(v.buffer)), k).toBe(true);
    // torch's cell modules (nn.LSTMCell: no _l0 suffix) are read too
    const cells = toTorchStateDict(m, { suffix: '' });
    expect(Object.keys(cells)).toContain('l.weight_ih');
    expect(fromTorchStateDict(m, cells)['l.Wx']).toEqual(m.params['l.Wx']);
  });

  test('a state_dict that does not fit is refused, naming what is missing, extra or mis-sized', () => {
    const m = compileOk(MODELS['linear']!).model();
    const f = (n: number) => ({ data: new Float32Array(n), shape: [n] });
    expect(() => fromTorchStateDict(m, { 'fc.weight': f(15) })).toThrow(/no tensor 'fc.bias'/);
    expect(() => fromTorchStateDict(m, { 'fc.weight': f(15), 'fc.bias': f(3), 'head.weight': f(2) })).toThrow(/no place in M: head.weight/);
    expect(() => fromTorchStateDict(m, { 'fc.weight': f(14), 'fc.bias': f(3) })).toThrow(/'fc.W' needs 15 values/);
    const custom = compileOk('model C {\n  input x: f32[B, 2]\n  param w: f32[2] = ones\n  output y = x * w\n}').model();
    expect(() => toTorchStateDict(custom)).toThrow(/no PyTorch counterpart is known for 'w'/);
  });

  test('dlm convert --from torch writes a checkpoint that runs; --to torch writes the state_dict back', async () => {
    if (!torch) return;
    const errs: string[] = [];
    const out: Out = { log: () => undefined, err: (x) => errs.push(x), color: false, stderrIsTTY: false };
    const src = join(DIR, 'lm.dlm');
    writeFileSync(src, MODELS['lm']!);
    const ckpt = join(DIR, 'lm.dlm.safetensors'),
      back = join(DIR, 'lm.torch.safetensors');
    expect(await main(['convert', src, '--from', 'torch', '--checkpoint', join(DIR, 'lm.safetensors'), '-o', ckpt], out), errs.join('\n')).toBe(0);
    const model = compileOk(MODELS['lm']!).model();
    loadParams(model, ckpt);
    expect(maxRelErr(dlmOut(model, 'lm'), torch.imported['lm']!)).toBeLessThan(1e-12);
    expect(await main(['convert', src, '--to', 'torch', '--checkpoint', ckpt, '-o', back], out), errs.join('\n')).toBe(0);
    const model2 = compileOk(MODELS['lm']!).model();
    loadTorchStateDict(model2, loadSafetensors(back).tensors);
    expect(model2.params).toEqual(model.params);
    expect(await main(['convert', src, '--checkpoint', ckpt, '-o', back], out)).toBe(2);
    expect(await main(['convert', src, '--from', 'torch', '--checkpoint', ckpt, '-o', back], out)).toBe(1); // a dlm checkpoint is no state_dict
    expect(errs.at(-1)).toMatch(/no tensor 'embed.weight'/);
  });

  test('the safetensors file torch wrote is plain float32 tensors named as torch names them', () => {
    if (!torch) return;
    const { tensors } = loadSafetensors(join(DIR, 'lm.safetensors'));
    expect(Object.keys(tensors).sort()).toEqual([
      'embed.weight',
      'lstm.bias_hh_l0',
      'lstm.bias_ih_l0',
      'lstm.weight_hh_l0',
      'lstm.weight_ih_l0',
      'out.bias',
      'out.weight',
    ]);
    expect(readFileSync(join(DIR, 'lm.safetensors')).length).toBeGreaterThan(1000);
  });
});

describe('nn.Embedding padding_idx (PyTorch: the padding row reads as zeros and gets no gradient)', () => {
  test.each([[2], [-2]])('padding_idx = %s', (pad) => {
    const m = compileOk(`import nn
model E {
  input ids: i32[4]
  layer emb = nn.Embedding(4, 2, padding_idx = ${pad})
  output y = emb(ids)
  loss sum(square(emb(ids) - 1))
}`).model(undefined, { seed: 1 });
    const ids = { ids: { data: Int32Array.from([0, 2, 3, 2]), shape: [4] } };
    const y = [...m.forward(ids)['y']!.data];
    const W = [...m.params['emb.W']!];
    expect(y).toEqual([W[0], W[1], 0, 0, W[6], W[7], 0, 0]);
    const g = [...m.valueAndGrad(ids).grads['emb.W']!];
    expect(g.slice(4, 6)).toEqual([0, 0]);
    expect(g[0]).toBeCloseTo(2 * (W[0]! - 1), 6);
  });
});
