// Training runs that never lose or silently corrupt their state, tested on `node bin/dlm.js` as a user
// runs it (dist/ is built by npm ci): kill -9 and --resume give bit-identical parameters and the same
// log lines as a straight run; SIGKILL at random moments (also during saves) always leaves a loadable
// checkpoint and the next run no temp file; SIGTERM exits 143 with a checkpoint that resumes; SIGINT
// before any epoch exits 130 without an empty curves SVG; E0404 saves the last good state.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadParams } from '../compiler/cli/checkpoints.js';
import { loadCheckpointFile } from '../runtime/dlmCheckpoint.js';
import { compileOk } from './helpers/compile.js';
import { scratchDir } from './helpers/scratch.js';

const dir = scratchDir('dlm-runs-');
const SRC = `import nn
model T {
  input x: f32[B, 4]
  target y: i32[B]
  layer l1 = nn.Dense(4, 16)
  layer l2 = nn.Dense(16, 3)
  output logits = l2(nn.dropout(relu(l1(x)), 0.1))
  loss nn.cross_entropy(logits, y)
  optimizer adam(lr = 0.01)
  train {
    batch = 8
    schedule = cosine
  }
}
`;
const MODEL = join(dir, 't.dlm');
const DATA = join(dir, 'd.csv');
writeFileSync(MODEL, SRC);
writeFileSync(
  DATA,
  'a,b,c,d,label\n' + Array.from({ length: 1500 }, (_, i) => `${Math.sin(i)},${Math.cos(i * 1.3)},${(i % 7) / 7},${(i % 5) - 2},${i % 3}`).join('\n') + '\n',
);
const BIN = join(import.meta.dirname, '..', 'bin', 'dlm.js');

const dlm = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
const start = (...args: string[]) => {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '',
    stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code, sig) => resolve(code ?? (sig ? -1 : null))));
  return { child, exited, out: () => stdout, err: () => stderr };
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const logLines = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8').trim().split('\n').filter(Boolean) : []);
/** Log lines without the wall-clock fields. */
const untimed = (p: string) =>
  logLines(p).map((l) => {
    const { seconds: _s, samplesPerSecond: _r, ...rest } = JSON.parse(l);
    return JSON.stringify(rest);
  });
const paramBytes = (p: string) => {
  const c = loadCheckpointFile(p);
  return Object.keys(c.model)
    .sort()
    .map((k) => Buffer.from(c.model[k]!.data.buffer).toString('base64'))
    .join('|');
};
const temps = (d: string) => readdirSync(d).filter((n) => n.includes('.tmp-'));
const waitFor = async (cond: () => boolean, ms: number) => {
  const t0 = Date.now();
  while (!cond() && Date.now() - t0 < ms) await sleep(5);
};

describe('dlm train runs', () => {
  test('12 epochs straight = killed with kill -9 after epoch 2 or later, --resume to 12: bit-identical parameters and log lines', async () => {
    const a = join(dir, 'a'),
      b = join(dir, 'b');
    mkdirSync(a);
    mkdirSync(b);
    const straight = dlm('train', MODEL, '--data', DATA, '--epochs', '12', '--out', `${a}/`);
    expect(straight.status, straight.stderr).toBe(0);
    const run = start('train', MODEL, '--data', DATA, '--epochs', '12', '--out', `${b}/`);
    // the log is written just before the checkpoint: wait for the checkpoint of epoch 2 itself
    const savedEpoch = () => {
      try {
        return Number(JSON.parse(loadCheckpointFile(join(b, 'T.safetensors')).info['run']!).epoch);
      } catch {
        return 0;
      }
    };
    await waitFor(() => savedEpoch() >= 2, 60_000);
    run.child.kill('SIGKILL');
    await run.exited;
    const resumed = dlm('train', MODEL, '--resume', join(b, 'T.safetensors'));
    expect(resumed.status, resumed.stderr).toBe(0);
    // 12 epochs (~1 s) so the kill lands mid-run on a fast idle machine; it resumed from a middle epoch
    const from = Number(/resuming .* after epoch (\d+)/.exec(resumed.stderr)?.[1]);
    expect(from).toBeGreaterThanOrEqual(2);
    expect(from).toBeLessThan(12);
    expect(paramBytes(join(b, 'T.safetensors'))).toBe(paramBytes(join(a, 'T.safetensors')));
    expect(untimed(join(b, 'T.log.jsonl'))).toEqual(untimed(join(a, 'T.log.jsonl')));
    // resuming a finished run says so
    const again = dlm('train', MODEL, '--resume', join(b, 'T.safetensors'));
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/already finished 12 epochs of 12; nothing to train/);
  }, 120_000);

  test('SIGTERM mid-epoch: exit 143, the resume command, and a checkpoint that resumes to the same result', async () => {
    const c = join(dir, 'c');
    mkdirSync(c);
    // 30 epochs (~1–2 s): enough that the signal lands mid-run on a fast idle machine (3 epochs could finish first)
    const run = start('train', MODEL, '--data', DATA, '--epochs', '30', '--out', `${c}/`);
    await waitFor(() => logLines(join(c, 'T.log.jsonl')).length >= 1, 60_000);
    await sleep(20);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(143);
    expect(run.out()).toContain(`continue with: dlm train ${MODEL} --resume ${join(c, 'T.safetensors')}`);
    const r = dlm('train', MODEL, '--resume', join(c, 'T.safetensors'));
    expect(r.status, r.stderr).toBe(0);
    const straight = join(dir, 's3');
    expect(dlm('train', MODEL, '--data', DATA, '--epochs', '30', '--out', `${straight}/`).status).toBe(0);
    expect(paramBytes(join(c, 'T.safetensors'))).toBe(paramBytes(join(straight, 'T.safetensors')));
  }, 120_000);

  test('SIGKILL at 20 random moments (saving every step): a loadable checkpoint always remains, and no temp file after the next run', async () => {
    const k = join(dir, 'k');
    mkdirSync(k);
    const ck = join(k, 'T.safetensors');
    expect(dlm('train', MODEL, '--data', DATA, '--epochs', '1', '--limit', '200', '--out', ck).status).toBe(0);
    const model = compileOk(SRC).model();
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    let killedDuringRun = 0;
    for (let i = 0; i < 20; i++) {
      const run = start('train', MODEL, '--resume', ck, '--epochs', '100000', '--save-every', '1steps');
      // wait until it trains (its first save), then kill at a random moment within the next 150 ms
      await waitFor(() => /resuming/.test(run.err()), 30_000);
      await sleep(40 + random() * 150);
      run.child.kill('SIGKILL');
      await run.exited;
      if (/resuming/.test(run.err())) killedDuringRun++;
      expect(() => loadParams(model, ck), `after kill ${i + 1}`).not.toThrow();
      expect(temps(k).length).toBeLessThanOrEqual(1);
    }
    expect(killedDuringRun).toBe(20);
    expect(dlm('train', MODEL, '--resume', ck, '--epochs', String(Number(JSON.parse(loadCheckpointFile(ck).info['run']!).epoch) + 1)).status).toBe(0);
    expect(temps(k)).toEqual([]);
  }, 180_000);

  test('SIGINT before the first epoch ends: exit 130, a checkpoint, no empty curves SVG', async () => {
    const d = join(dir, 'i');
    mkdirSync(d);
    const run = start('train', MODEL, '--data', DATA, '--epochs', '50', '--out', `${d}/`);
    await waitFor(() => /^data: /m.test(run.err()), 30_000);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(130);
    expect(existsSync(join(d, 'T.safetensors'))).toBe(true);
    if (logLines(join(d, 'T.log.jsonl')).length === 0) expect(existsSync(join(d, 'T.curves.svg'))).toBe(false);
  }, 60_000);

  test('E0404 saves the last good state and says where', () => {
    const f = join(dir, 'nan.dlm');
    writeFileSync(
      f,
      `model N {\n` +
        `  input x: f32[B, 2]\n` +
        `  target y: f32[B]\n` +
        `  param w: f32[2] = ones\n` +
        `  loss mean(log(sum(x * w, axis = 1)) - y)\n` +
        `  optimizer sgd(lr = 0.001)\n` +
        `}\n`,
    );
    const csv = join(dir, 'nan.csv');
    writeFileSync(csv, 'a,b,y\n' + Array.from({ length: 40 }, (_, i) => (i % 10 === 9 ? '-5,-5,0' : `${1 + (i % 3)},1,0`)).join('\n') + '\n');
    const out = join(dir, 'nan', 'N.safetensors');
    const r = dlm('train', f, '--data', csv, '--epochs', '3', '--batch', '4', '--val-fraction', '0', '--out', out);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/E0404/);
    expect(r.stderr).toContain(`saved the last good state (after step`);
    expect(r.stderr).toContain(out);
    const c = loadCheckpointFile(out);
    expect(c.info['status']).toBe('error');
    expect([...c.model['w']!.data].every(Number.isFinite)).toBe(true);
  }, 60_000);
});
