// PyTorch as a reference: a batch of calls evaluated in ONE python3 process (Debian python3-torch),
// float64 tensors, results (and gradients of sum(out) when asked) returned exactly. Numbers cross as
// strings so NaN, ±∞ and −0 survive. `torchAvailable()` says why not when torch cannot be imported.
import { spawnSync } from 'node:child_process';

const PYTHON = '/usr/bin/python3';

export interface TorchCall {
  /** A Python expression over the inputs a, b, c… (float64 tensors), e.g. 'torch.exp(a)' or 'F.gelu(a)'. */
  readonly expr: string;
  readonly inputs: readonly (readonly number[])[];
  /** Also return d sum(expr) / d input for every input. */
  readonly grad?: boolean;
}
export interface TorchResult {
  readonly out: number[];
  readonly grads?: number[][];
}

const SCRIPT = String.raw`
import json, sys, math
import torch
import torch.nn.functional as F
torch.set_default_dtype(torch.float64)
def num(s): return float(s)
def txt(x):
    if math.isnan(x): return 'NaN'
    if math.isinf(x): return 'Infinity' if x > 0 else '-Infinity'
    return repr(float(x))
out = []
for call in json.load(sys.stdin):
    names = 'abcdefgh'
    ts = [torch.tensor([num(v) for v in xs], dtype=torch.float64, requires_grad=bool(call.get('grad'))) for xs in call['inputs']]
    env = {'torch': torch, 'F': F, **{names[i]: t for i, t in enumerate(ts)}}
    try:
        y = eval(call['expr'], env)
        r = {'out': [txt(v) for v in y.detach().double().reshape(-1).tolist()]}
        if call.get('grad'):
            gs = torch.autograd.grad(y.sum(), ts, allow_unused=True)
            r['grads'] = [[txt(v) for v in (g if g is not None else torch.zeros_like(t)).reshape(-1).tolist()] for g, t in zip(gs, ts)]
    except Exception as e:
        r = {'error': str(e)}
    out.append(r)
json.dump(out, sys.stdout)
`;

const txt = (x: number): string => (Object.is(x, -0) ? '-0.0' : String(x));

let available: string | undefined | null = null;
/** undefined when torch imports; otherwise the reason it cannot be used. */
export const torchUnavailable = (): string | undefined => {
  if (available !== null) return available;
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8', timeout: 120_000 });
  available = r.status === 0 ? undefined : `cannot import torch with ${PYTHON}: ${(r.error?.message ?? r.stderr ?? '').trim().split('\n').pop()}`;
  return available;
};

export const runTorch = (calls: readonly TorchCall[]): TorchResult[] => {
  const input = JSON.stringify(calls.map((c) => ({ expr: c.expr, grad: c.grad ?? false, inputs: c.inputs.map((xs) => xs.map(txt)) })));
  const r = spawnSync(PYTHON, ['-c', SCRIPT], { input, encoding: 'utf8', timeout: 300_000, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  const parsed = JSON.parse(r.stdout) as { out?: string[]; grads?: string[][]; error?: string }[];
  return parsed.map((p, i) => {
    if (p.error !== undefined) throw new Error(`torch: ${calls[i]!.expr}: ${p.error}`);
    return { out: p.out!.map(Number), ...(p.grads ? { grads: p.grads.map((g) => g.map(Number)) } : {}) };
  });
};
