// The one place that writes files (checkpoints, logs, curves, emitted code, PNGs, .npy).
//
//   writeFileAtomic(path, data)   — replaces `path` with exactly `data`, or leaves it as it was.
//
// A regular (or missing) target is written to a temporary file in the same directory, every write's
// byte count checked, fsynced, closed and renamed over the target, then the directory is fsynced. On
// any failure the temporary file is removed, the old file is kept byte for byte, and a WriteError
// (a DataError: the CLI exits 1) names the path and the reason in words ("disk full").
// A target that is not a regular file (a device such as /dev/null, a FIFO, /dev/stdout) is written
// directly and never renamed over; a symlink is followed and its target replaced, the link kept.
// Temporary files left behind by a process that was killed (SIGKILL, power loss) are removed by the
// next write to the same target, or by removeStaleTempFiles (a training run calls it for its files).
import * as nodeFs from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { DataError } from './data/errors.js';

/** The file-system calls the writer makes: a seam for tests that inject faults (ENOSPC, EIO, short writes). */
export interface WriteFs {
  openSync(path: string, flags: string, mode?: number): number;
  writeSync(fd: number, buf: Uint8Array, offset: number, length: number): number;
  fsyncSync(fd: number): void;
  closeSync(fd: number): void;
  renameSync(from: string, to: string): void;
  unlinkSync(path: string): void;
  statSync(path: string): nodeFs.Stats;
  lstatSync(path: string): nodeFs.Stats;
  readlinkSync(path: string): string;
  readdirSync(path: string): string[];
}

const realFs: WriteFs = {
  openSync: (p, f, m) => nodeFs.openSync(p, f, m),
  writeSync: (fd, b, o, l) => nodeFs.writeSync(fd, b, o, l),
  fsyncSync: (fd) => nodeFs.fsyncSync(fd),
  closeSync: (fd) => nodeFs.closeSync(fd),
  renameSync: (a, b) => nodeFs.renameSync(a, b),
  unlinkSync: (p) => nodeFs.unlinkSync(p),
  statSync: (p) => nodeFs.statSync(p),
  lstatSync: (p) => nodeFs.lstatSync(p),
  readlinkSync: (p) => nodeFs.readlinkSync(p),
  readdirSync: (p) => nodeFs.readdirSync(p),
};

export interface WriteOptions {
  /** Test seam: the file-system calls to use (default: node:fs). */
  readonly fs?: WriteFs;
}

/** A file could not be written; `reason` is the OS error in words, `code` its errno name. */
export class WriteError extends DataError {
  constructor(
    readonly path: string,
    readonly reason: string,
    readonly code?: string,
  ) {
    super(path, `cannot write: ${reason}`);
    this.name = 'WriteError';
  }
}

const REASONS: Readonly<Record<string, string>> = {
  ENOSPC: 'disk full (no space left on the device)',
  EDQUOT: 'disk quota exceeded',
  EIO: 'input/output error (the device failed)',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOENT: 'the directory does not exist',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'it is a directory',
  EFBIG: 'file too large',
  ENAMETOOLONG: 'the name is too long',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files',
  ELOOP: 'too many levels of symbolic links',
  EXDEV: 'rename across file systems',
  EBUSY: 'the file is busy',
  ETXTBSY: 'the file is busy',
  EAGAIN: 'the device is not ready (try again)',
  EPIPE: 'the reader closed the pipe',
};

/** The OS reason of an error in words, e.g. "disk full (no space left on the device)". */
export const reasonOf = (e: unknown): { reason: string; code?: string } => {
  const code = (e as { code?: unknown })?.code;
  if (typeof code === 'string') return { reason: `${Object.hasOwn(REASONS, code) ? REASONS[code] : (e as Error).message} (${code})`, code };
  return { reason: e instanceof Error ? e.message : String(e) };
};

const CHUNK = 1 << 16;
const TEMP = /\.tmp-(\d+)-[0-9a-z]+$/;

/** Writes all of `bytes`: a short write is continued, a write that makes no progress is an error. */
const writeAll = (fs: WriteFs, fd: number, bytes: Uint8Array): void => {
  for (let done = 0; done < bytes.length; ) {
    const n = fs.writeSync(fd, bytes, done, Math.min(CHUNK, bytes.length - done));
    if (!Number.isInteger(n) || n <= 0 || n > bytes.length - done)
      throw Object.assign(new Error(`short write (${done} of ${bytes.length} bytes)`), { code: 'ENOSPC' });
    done += n;
  }
};

/** Follows symlinks (also dangling ones) to the path that is really written. */
const followLinks = (fs: WriteFs, path: string): string => {
  let p = resolve(path);
  for (let hops = 0; hops < 40; hops++) {
    let st: nodeFs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      return p;
    }
    if (!st.isSymbolicLink()) return p;
    p = resolve(dirname(p), fs.readlinkSync(p));
  }
  throw Object.assign(new Error('too many symbolic links'), { code: 'ELOOP' });
};

const alive = (pid: number): boolean => {
  if (pid === process.pid) return false; // our own temp files are never left between writes
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
};

/** Removes `<target>.tmp-<pid>-*` files of processes that no longer run (killed during an earlier write). */
const removeStaleTemps = (fs: WriteFs, target: string): void => {
  const dir = dirname(target),
    base = basename(target);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const m = n.startsWith(`${base}.tmp-`) ? TEMP.exec(n) : null;
    if (m && n.length === base.length + m[0].length && !alive(Number(m[1])))
      try {
        fs.unlinkSync(join(dir, n));
      } catch {
        /* another run got it */
      }
  }
};

/**
 * Removes the temporary files that killed processes left beside each of `targets`. A run that writes
 * several files calls it when it starts: each file's own write cleans only its own temporaries, so a
 * run killed while writing one file, then again while writing another, would otherwise leave two.
 */
export const removeStaleTempFiles = (targets: readonly string[], opts: WriteOptions = {}): void => {
  const fs = opts.fs ?? realFs;
  for (const t of targets)
    try {
      removeStaleTemps(fs, followLinks(fs, t));
    } catch {
      /* a link loop: the write itself reports it */
    }
};

/**
 * Replaces the file at `path` with `data` (a string is written as UTF-8): completely or not at all.
 * Throws WriteError (path and reason) after restoring the old state; never leaves a temporary file.
 */
export const writeFileAtomic = (path: string, data: string | Uint8Array, opts: WriteOptions = {}): void => {
  const fs = opts.fs ?? realFs;
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  let target = path;
  try {
    target = followLinks(fs, path);
    let st: nodeFs.Stats | undefined;
    try {
      st = fs.statSync(target);
    } catch (e) {
      if ((e as { code?: string }).code !== 'ENOENT') throw e;
    }
    if (st?.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (st && !st.isFile()) {
      writeDirect(fs, target, bytes);
      return;
    }
    removeStaleTemps(fs, target);
    const tmp = `${target}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10) || '0'}`;
    let fd: number | undefined;
    try {
      fd = fs.openSync(tmp, 'wx', st ? st.mode & 0o7777 : 0o666);
      writeAll(fs, fd, bytes);
      fs.fsyncSync(fd);
      const f = fd;
      fd = undefined;
      fs.closeSync(f);
      fs.renameSync(tmp, target);
    } catch (e) {
      if (fd !== undefined)
        try {
          fs.closeSync(fd);
        } catch {
          /* already failing */
        }
      try {
        fs.unlinkSync(tmp);
      } catch {
        /* never created */
      }
      throw e;
    }
    syncDir(fs, dirname(target));
  } catch (e) {
    if (e instanceof WriteError) throw e;
    const { reason, code } = reasonOf(e);
    throw new WriteError(path === target || target === resolve(path) ? path : `${path} (→ ${target})`, reason, code);
  }
};

/** Devices, FIFOs, sockets: written in place (a rename would replace the device node itself). */
const writeDirect = (fs: WriteFs, target: string, bytes: Uint8Array): void => {
  const fd = fs.openSync(target, 'w');
  try {
    writeAll(fs, fd, bytes);
  } finally {
    fs.closeSync(fd);
  }
};

/** Makes the rename durable; some file systems cannot fsync a directory, which is not an error. */
const syncDir = (fs: WriteFs, dir: string): void => {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    /* best effort */
  } finally {
    if (fd !== undefined)
      try {
        fs.closeSync(fd);
      } catch {
        /* ignore */
      }
  }
};
