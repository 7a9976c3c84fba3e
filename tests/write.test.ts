// The one file writer (runtime/write.ts): a write either replaces the target completely or leaves it
// byte for byte as it was, with no temporary file behind, whichever file-system call fails (every k);
// devices and FIFOs are written in place, symlinks written through, errors name the path and reason.
import * as fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { main } from '../compiler/cli.js';
import type { Out } from '../compiler/cli/io.js';
import { RunFiles, runPaths } from '../compiler/cli/run.js';
import { WriteError, writeFileAtomic, type WriteFs } from '../runtime/write.js';
import { scratchDir } from './helpers/scratch.js';

const dir = scratchDir('dlm-write-');
const realFs: WriteFs = {
  openSync: (p, f, m) => fs.openSync(p, f, m),
  writeSync: (fd, b, o, l) => fs.writeSync(fd, b, o, l),
  fsyncSync: (fd) => fs.fsyncSync(fd),
  closeSync: (fd) => fs.closeSync(fd),
  renameSync: (a, b) => fs.renameSync(a, b),
  unlinkSync: (p) => fs.unlinkSync(p),
  statSync: (p) => fs.statSync(p),
  lstatSync: (p) => fs.lstatSync(p),
  readlinkSync: (p) => fs.readlinkSync(p),
  readdirSync: (p) => fs.readdirSync(p),
};
type Fault = 'ENOSPC' | 'EIO' | 'short';
const MUTATING = new Set(['openSync', 'writeSync', 'fsyncSync', 'closeSync', 'renameSync']);

/** A file system whose k-th mutating call (open, write, fsync, close, rename) fails. */
const faulty = (k: number, fault: Fault): { fs: WriteFs; calls: () => number } => {
  let n = 0;
  const wrap = Object.fromEntries(
    Object.entries(realFs).map(([name, f]) => [
      name,
      (...a: unknown[]) => {
        if (MUTATING.has(name) && ++n === k) {
          if (fault === 'short' && name === 'writeSync') {
            // a short write, after which the disk is full: the next write writes nothing
            const [fd, b, o, l] = a as [number, Uint8Array, number, number];
            const wrote = fs.writeSync(fd, b, o, Math.max(1, l >> 1));
            wrap['writeSync'] = () => 0;
            return wrote;
          }
          throw Object.assign(new Error(`injected ${fault}`), { code: fault === 'short' ? 'ENOSPC' : fault });
        }
        return (f as (...x: unknown[]) => unknown)(...a);
      },
    ]),
  ) as Record<string, unknown>;
  return { fs: wrap as unknown as WriteFs, calls: () => n };
};

const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;
const temps = (d: string) => fs.readdirSync(d).filter((n) => n.includes('.tmp-'));

describe('writeFileAtomic', () => {
  const old = new Uint8Array(50_000).map((_, i) => (i * 7) & 255);
  const next = new Uint8Array(150_000).map((_, i) => (i * 13 + 1) & 255); // three chunks of 64 KiB

  test('replaces the file and leaves no temporary file', () => {
    const p = join(dir, 'plain.bin');
    writeFileAtomic(p, old);
    writeFileAtomic(p, next);
    expect(same(fs.readFileSync(p), next)).toBe(true);
    expect(temps(dir)).toEqual([]);
  });

  for (const fault of ['ENOSPC', 'EIO', 'short'] as const) {
    test(`a ${fault} at the k-th call, for every k: old file byte for byte, or the new one whole; never a temp file`, () => {
      const d = fs.mkdtempSync(join(dir, fault));
      const p = join(d, 'ck.safetensors');
      let total = 0;
      {
        const f = faulty(0, fault);
        writeFileAtomic(p, old, { fs: f.fs });
        total = f.calls();
      }
      expect(total).toBeGreaterThanOrEqual(7); // open, 3 writes, fsync, close, rename (+ the directory's)
      let failures = 0;
      for (let k = 1; k <= total; k++) {
        writeFileAtomic(p, old);
        let err: unknown;
        try {
          writeFileAtomic(p, next, { fs: faulty(k, fault).fs });
        } catch (e) {
          err = e;
        }
        const now = fs.readFileSync(p);
        if (err) {
          failures++;
          expect(err).toBeInstanceOf(WriteError);
          expect((err as Error).message).toContain(p);
          expect((err as Error).message).toMatch(fault === 'EIO' ? /input\/output error/ : /disk full/);
          expect(same(now, old)).toBe(true);
        } else expect(same(now, next)).toBe(true);
        expect(temps(d)).toEqual([]);
      }
      expect(failures).toBeGreaterThanOrEqual(5);
    });
  }

  test('a symlink is written through: the link stays, its target changes', () => {
    const target = join(dir, 'real.txt'),
      link = join(dir, 'link.txt');
    fs.writeFileSync(target, 'old');
    fs.symlinkSync(target, link);
    writeFileAtomic(link, 'new');
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(target, 'utf8')).toBe('new');
  });

  test('a FIFO is written in place, not replaced by a regular file', () => {
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    writeFileAtomic(fifo, 'through the pipe');
    const buf = Buffer.alloc(64);
    const n = fs.readSync(reader, buf);
    fs.closeSync(reader);
    expect(buf.subarray(0, n).toString()).toBe('through the pipe');
    expect(fs.lstatSync(fifo).isFIFO()).toBe(true);
  });

  test('a character device (a copy of /dev/null) stays a device', () => {
    const dev = join(dir, 'null');
    try {
      execFileSync('mknod', [dev, 'c', '1', '3']);
    } catch {
      console.warn('skipping the device case: mknod needs root');
      return;
    }
    writeFileAtomic(dev, 'discarded');
    expect(fs.lstatSync(dev).isCharacterDevice()).toBe(true);
  });

  test('a directory is refused with the reason, and a stale temp file of a killed process is removed', () => {
    expect(() => writeFileAtomic(dir, 'x')).toThrow(/is a directory/);
    const p = join(dir, 'stale.bin');
    fs.writeFileSync(`${p}.tmp-999999999-abc`, 'left by kill -9');
    writeFileAtomic(p, 'fresh');
    expect(fs.existsSync(`${p}.tmp-999999999-abc`)).toBe(false);
  });

  test("a training run's files start without the temp files of killed runs, a live process's kept", () => {
    // kill -9 during the curves write, then again during the checkpoint write, left one temp file each
    const d = join(dir, 'run');
    fs.mkdirSync(d);
    const paths = runPaths(join(d, 'T.safetensors'));
    const stale = [paths.checkpoint, paths.best, paths.log, paths.curves].map((p) => `${p}.tmp-999999999-abc`);
    const live = `${paths.curves}.tmp-${process.ppid}-abc`;
    for (const t of [...stale, live]) fs.writeFileSync(t, 'left by kill -9');
    new RunFiles(paths, 0);
    expect(temps(d)).toEqual([`T.curves.svg.tmp-${process.ppid}-abc`]);
  });
});

describe('the CLI writes through it', () => {
  const run = async (...args: string[]) => {
    const o: string[] = [],
      e: string[] = [];
    const out: Out = { log: (s) => o.push(s), err: (s) => e.push(s), color: false, stderrIsTTY: false };
    return { code: await main(args, out), stdout: o.join('\n'), stderr: e.join('\n') };
  };
  const model = join(dir, 'm.dlm');
  fs.writeFileSync(model, 'model M {\n  input x: f32[N, 2]\n  param w: f32[2] = zeros\n  output y = x * w\n}\n');

  test('-o onto a directory or under a file: exit 1 naming the path and reason', async () => {
    const r = await run('compile', model, '-o', dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${dir}: cannot write: it is a directory`);
    const r2 = await run('compile', model, '-o', join(model, 'out.js'));
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/cannot write: a part of the path is not a directory/);
  });

  test('-o through a symlink and onto a FIFO', async () => {
    const target = join(dir, 'emitted.js'),
      link = join(dir, 'emitted-link.js');
    fs.writeFileSync(target, '');
    fs.symlinkSync(target, link);
    expect((await run('compile', model, '-o', link)).code).toBe(0);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(target, 'utf8')).toContain('function');
  });
});
