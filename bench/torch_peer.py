# PyTorch on the CPU as a peer for `npm run bench` (bench/backends.ts drives it): the same workloads,
# shapes and seeds as dlm's rows, at 1 and 2 threads (torch.set_num_threads). Prints one JSON object:
# {"version": ..., "rows": {workload: {"1": seconds per call, "2": ..., "cpu1": CPU seconds per call
# at 1 thread}}}. cfg["keys"], when given, names the fixed workloads to run; cfg["scaling"] lists the
# scaling curves' points (bench/scaling.ts) to run as well; cfg["timing"] may set "passes", "min" (seconds
# per pass) and "cpu" (false: no CPU-time figure).
# Timing as bench/timing.ts: a warm-up, then passes of at least MIN seconds, median of PASSES.
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

PASSES, MIN = 3, 0.3


def per_call(f, clock=time.perf_counter, passes=PASSES, min_seconds=MIN):
    """Seconds per call by `clock` (perf_counter: wall time; process_time: this process's CPU time):
    two warm-up calls, then `passes` passes of at least min_seconds each, the median."""
    f()
    f()
    times = []
    for _ in range(passes):
        n = 1
        while True:
            t0 = clock()
            for _ in range(n):
                f()
            dt = clock() - t0
            if dt >= min_seconds:
                times.append(dt / n)
                break
            n = max(n * 2, int(n * min_seconds * 1.2 / max(dt, 1e-6)) + 1)
    return sorted(times)[len(times) // 2]


def mlp(sizes, act):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.Sigmoid() if act == 'sigmoid' else nn.ReLU())
    return nn.Sequential(*layers)


def train_step(model, x, y, lr):
    opt = torch.optim.SGD(model.parameters(), lr=lr)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return step


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


class Lstm(nn.Module):
    def __init__(self, V, H):
        super().__init__()
        self.lstm = nn.LSTM(V, H, batch_first=True)
        self.readout = nn.Linear(H, V)

    def forward(self, x):
        return self.readout(self.lstm(x)[0])


class Block(nn.Module):
    """Pre-norm encoder block: causal multi-head attention and a GELU feed-forward, then a readout."""

    def __init__(self, d, heads, V):
        super().__init__()
        self.d, self.heads = d, heads
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
        self.f1, self.f2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
        self.readout = nn.Linear(d, V)

    def forward(self, x):
        B, T, d = x.shape
        h = self.heads
        a = self.ln1(x)
        split = lambda z: z.view(B, T, h, d // h).transpose(1, 2)
        q, k, v = split(self.q(a)), split(self.k(a)), split(self.v(a))
        mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
        s = (q @ k.transpose(-1, -2)) / (d // h) ** 0.5
        att = torch.softmax(s.masked_fill(mask, -1e9), -1) @ v
        x = x + self.o(att.transpose(1, 2).reshape(B, T, d))
        x = x + self.f2(F.gelu(self.f1(self.ln2(x)), approximate='tanh'))
        return self.readout(x)


def seq_step(model, x, y, lr):
    opt = torch.optim.SGD(model.parameters(), lr=lr)

    def step():
        opt.zero_grad(set_to_none=True)
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        loss.backward()
        opt.step()
    return step


def workloads(cfg):
    g = torch.Generator().manual_seed(cfg['seed'])
    randn = lambda *s: torch.randn(*s, generator=g)
    labels = lambda n, k: torch.arange(n) % k
    out = {}
    big = mlp([784, 128, 64, 10], 'relu')
    small = mlp([784, 16, 16, 10], 'sigmoid')
    net = lenet()
    L, K = cfg['lstm'], cfg['block']
    lstm = Lstm(L['V'], L['H'])
    block = Block(K['d'], K['heads'], K['V'])
    x64, x32, xl = randn(64, 784), randn(32, 784), randn(32, 1, 28, 28)
    onehot = F.one_hot(torch.randint(0, L['V'], (L['B'], L['T']), generator=g), L['V']).float()
    out['mlp_train'] = train_step(big, x64, labels(64, 10), 0.01)
    out['small_train'] = train_step(small, x32, labels(32, 10), 0.1)
    out['lenet_train'] = train_step(net, xl, labels(32, 10), 0.01)
    out['lstm_train'] = seq_step(lstm, onehot, torch.randint(0, L['V'], (L['B'], L['T']), generator=g), 0.1)
    out['block_train'] = seq_step(block, randn(K['B'], K['T'], K['d']), torch.randint(0, K['V'], (K['B'], K['T']), generator=g), 0.05)

    def infer(model, x):
        def f():
            with torch.no_grad():
                model(x)
        return f
    out['lenet_infer'] = infer(net, xl)
    out['mlp_infer_256'] = infer(big, randn(256, 784))
    out['mlp_infer_1'] = infer(big, randn(1, 784))
    a, b = randn(256, 256), randn(256, 256)
    c = torch.empty(256, 256)
    # into one output, as dlm's native row (forward's out): the product, not an allocation
    out['matmul_256'] = lambda: torch.mm(a, b, out=c)
    return out


def scaling(cfg):
    """The scaling curves' points (bench/scaling.ts): an MLP 784-W-W-10 (ReLU) training step (SGD) or
    forward pass at batch B, inputs from the seeded generator, labels i mod 10."""
    g = torch.Generator().manual_seed(cfg['seed'])
    out = {}
    for p in cfg.get('scaling', []):
        B, W = p['batch'], p['width']
        model = mlp([784, W, W, 10], 'relu')
        x = torch.randn(B, 784, generator=g)
        if p['train']:
            out[p['key']] = train_step(model, x, torch.arange(B) % 10, 0.01)
        else:
            def f(model=model, x=x):
                with torch.no_grad():
                    model(x)
            out[p['key']] = f
    return out


def main():
    cfg = json.loads(sys.argv[1])
    timing = cfg.get('timing', {})
    passes, min_seconds = timing.get('passes', PASSES), timing.get('min', MIN)
    cpu = timing.get('cpu', True)
    keys = cfg.get('keys')
    rows = {}
    for threads in cfg['threads']:
        torch.set_num_threads(threads)
        todo = {k: f for k, f in workloads(cfg).items() if keys is None or k in keys}
        todo.update(scaling(cfg))
        for name, f in todo.items():
            rows.setdefault(name, {})[str(threads)] = per_call(f, time.perf_counter, passes, min_seconds)
            if threads == 1 and cpu:
                rows[name]['cpu1'] = per_call(f, time.process_time, passes, min_seconds)
    print(json.dumps({'version': torch.__version__, 'rows': rows}))


main()
