// The CLI as a terminal user meets it: the progress line fits the terminal and redraws in place (run
// under a real pseudo-terminal at 80 and 200 columns), and a closed pipe (`dlm summary | head -1`)
// ends the command quietly instead of printing an EPIPE stack trace. dist/ is rebuilt by the global
// setup, so the child runs the current sources.
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { ProgressBar } from '../runtime/progress.js';

const hasScript = spawnSync('script', ['--version']).status === 0;
if (!hasScript) console.warn('terminal.test: util-linux `script` is not installed; the pseudo-terminal cases are skipped');

/** Runs a command under a pseudo-terminal of the given width and returns what the terminal received. */
const underPty = (cols: number, cmd: string): string =>
  execFileSync('script', ['-qefc', `stty cols ${cols} rows 40; ${cmd}`, '/dev/null'], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 60_000,
  });

/** The rows a terminal shows: split on newlines, each row's last redraw after a carriage return. */
const rows = (raw: string): string[] =>
  raw
    .replace(/\x1b\[K/g, '')
    .split(/\r?\n/)
    .flatMap((l) => l.split('\r'))
    .filter((r) => r.length > 0);

describe('progress line', () => {
  test('shrinks to the terminal width, keeping the count and the loss', () => {
    const written: string[] = [];
    const stream = { write: (s: string) => written.push(s), isTTY: true, columns: 80 };
    const bar = new ProgressBar({ total: 7200, label: 'epoch 10/10', stream });
    bar.update(3600, { loss: 0.1349, acc: 0.9647, val_loss: 0.3291, val_acc: 0.9025, grad_norm: 1.234, clipped: 0.05 });
    const line = written.at(-1)!.replace('\r', '').replace('\x1b[K', '');
    expect(line.length).toBeLessThanOrEqual(79);
    expect(line).toContain('3600/7200');
    expect(line).toContain('loss 0.1349');
    const wide: string[] = [];
    new ProgressBar({ total: 7200, label: 'epoch 10/10', stream: { write: (s: string) => wide.push(s), isTTY: true, columns: 200 } }).update(3600, {
      loss: 0.1349,
      acc: 0.9647,
      val_loss: 0.3291,
    });
    expect(wide.at(-1)).toContain('val_loss 0.3291');
    expect(wide.at(-1)).toContain('█'.repeat(12));
  });

  test.skipIf(!hasScript).each([80, 200])('under a pseudo-terminal %i columns wide, every redraw fits one row', (cols) => {
    const raw = underPty(
      cols,
      `${process.execPath} bin/dlm.js train examples/xor.dlm --data examples/data/xor.csv --epochs 2 --batch 1 --out /tmp/dlm-terminal-${cols}/x.safetensors`,
    );
    const r = rows(raw);
    const bars = r.filter((x) => x.startsWith('epoch '));
    expect(bars.length).toBeGreaterThan(0);
    // every in-place redraw (all but each epoch's final line, which is printed once) fits the width
    const redraws = raw
      .replace(/\r\n/g, '\n')
      .split('\n')
      .flatMap((l) => l.split('\r').slice(0, -1))
      .map((x) => x.replace(/\x1b\[K/g, ''))
      .filter((x) => x.startsWith('epoch '));
    for (const x of redraws) expect(x.length).toBeLessThan(cols);
  });
});

describe('closed pipes', () => {
  test('dlm summary | head -1 prints one line and no stack trace', () => {
    const r = spawnSync('sh', ['-c', `${process.execPath} bin/dlm.js summary examples/vgg_small.dlm | head -1`], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/EPIPE|Error|at /);
  });
});
