# PyTorch on the CPU as a peer for `npm run bench` (bench/backends.ts drives it): the same workloads,
# shapes and seeds as dlm's rows, at 1 and 2 threads (torch.set_num_threads). Prints one JSON object:
# {"version": ..., "rows": {workload: {"1": seconds per call, "2": ..., "cpu1": CPU seconds per call
# at 1 thread}}}; cfg["keys"], when
# given, names the workloads to run.
# Timing as bench/timing.ts: a warm-up, then passes of at least MIN seconds, median of PASSES.
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

PASSES, MIN = 3, 0.3


def seconds_per_call(f):
    f()
    f()
    times = []
    for _ in range(PASSES):
        n = 1
        while True:
            t0 = time.perf_counter()
            for _ in range(n):
                f()
            dt = time.perf_counter() - t0
            if dt >= MIN:
                times.append(dt / n)
                break
            n = max(n * 2, int(n * MIN * 1.2 / max(dt, 1e-6)) + 1)
    return sorted(times)[len(times) // 2]


def cpu_seconds_per_call(f):
    """Process CPU seconds per call (one thread: the time it ran, whatever else the machine runs)."""
    f()
    times = []
    for _ in range(PASSES):
        n = 1
        while True:
            t0 = time.process_time()
            for _ in range(n):
                f()
            dt = time.process_time() - t0
            if dt >= MIN:
                times.append(dt / n)
                break
            n = max(n * 2, int(n * MIN * 1.2 / max(dt, 1e-6)) + 1)
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
    out['matmul_256'] = lambda: torch.mm(a, b)
    return out


def main():
    cfg = json.loads(sys.argv[1])
    rows = {}
    for threads in cfg['threads']:
        torch.set_num_threads(threads)
        keys = cfg.get('keys')
        for name, f in workloads(cfg).items():
            if keys is not None and name not in keys:
                continue
            rows.setdefault(name, {})[str(threads)] = seconds_per_call(f)
            if threads == 1:
                rows[name]['cpu1'] = cpu_seconds_per_call(f)
    print(json.dumps({'version': torch.__version__, 'rows': rows}))


main()
