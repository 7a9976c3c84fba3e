// Resolves `import nn` to stdlib/nn.dlm and `import "./x.dlm" as x` to a user file, and reads them.
// The standard library is embedded in every bundle (stdlibText.ts); user files are read with fs.
//
// Imports are confined, because a .dlm file may come from anyone: a relative import ("./x.dlm",
// "blocks/z.dlm") resolves inside the importing file's directory tree ("../y.dlm" does not); any other directory
// is reachable only through an explicit search path (`--import-path`, `DLM_PATH`, `fileLoader({ searchPath })`).
// Only regular files ending in .dlm, at most 1 MiB (`maxSourceBytes`), valid UTF-8, are read; symlinks
// are resolved and the real path is checked again. A refused file is named with the reason only:
// none of its bytes reach a diagnostic.
import { closeSync, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { SourceFile } from '../diagnostics/span.js';
import { stdlibModuleNames, stdlibText } from '../stdlibText.js';

export interface Loader {
  /** The stdlib module's source, or undefined if there is no such module. */
  stdlib(name: string): SourceFile | undefined;
  /** A user file relative to the importing file; undefined (plus a reason) if unreadable. `refused` marks a file the rules do not allow. */
  file(path: string, from: string): SourceFile | { readonly error: string; readonly refused?: boolean };
  /** The names of the standard modules (for suggestions); optional for custom loaders. */
  stdlibNames?(): readonly string[];
}

export const MAX_SOURCE_BYTES = 1 << 20;

export interface LoaderOptions {
  /** Directories where imports that are not found in the importing file's tree are looked up, in order. */
  readonly searchPath?: readonly string[];
  /** The largest source file read (default 1 MiB). */
  readonly maxSourceBytes?: number;
}

const stdlibCache = new Map<string, SourceFile | undefined>();

export { stdlibPath } from '../stdlibText.js';
const stdlibNames = stdlibModuleNames;

const stdlib = (name: string): SourceFile | undefined => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) return undefined;
  if (!stdlibCache.has(name)) {
    const text = stdlibText(name);
    stdlibCache.set(name, text === undefined ? undefined : { path: `stdlib:${name}.dlm`, text });
  }
  return stdlibCache.get(name);
};

/** Is `p` the directory `root` or inside it (both absolute and normalized)? */
export const isInside = (root: string, p: string): boolean => {
  const r = relative(root, p);
  return r === '' || (r !== '..' && !r.startsWith(`..${sep}`) && !isAbsolute(r));
};

const fmtBytes = (n: number): string => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} bytes`);

export type ReadResult = SourceFile | { readonly error: string; readonly refused?: boolean };

/**
 * Reads a source file if it is a regular file of at most `maxBytes` bytes of UTF-8 text. Never reads
 * more than maxBytes + 1 bytes (so /dev/zero or a growing file cannot exhaust memory), and the error
 * names the path and the reason only.
 */
export const readSourceFile = (path: string, maxBytes = MAX_SOURCE_BYTES, shownAs = path): ReadResult => {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? { error: `file not found: ${shownAs}` } : { error: `cannot read ${shownAs} (${code ?? 'error'})`, refused: code !== 'ENOENT' };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { error: `${shownAs} is not a regular file`, refused: true };
    if (st.size > maxBytes)
      return {
        error: `${shownAs} is ${fmtBytes(st.size)}, more than the ${fmtBytes(maxBytes)} limit for a source file (raise it with --max-source-size)`,
        refused: true,
      };
    const buf = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
    let n = 0;
    for (;;) {
      const k = readSync(fd, buf, n, buf.length - n, null);
      if (k === 0) break;
      n += k;
      if (n === buf.length) break;
    }
    if (n > maxBytes)
      return { error: `${shownAs} is larger than the ${fmtBytes(maxBytes)} limit for a source file (raise it with --max-source-size)`, refused: true };
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, n));
    } catch {
      return { error: `${shownAs} is not UTF-8 text`, refused: true };
    }
    if (text.includes('\0')) return { error: `${shownAs} is not a text file (it contains NUL bytes)`, refused: true };
    return { path, text };
  } catch (e) {
    return { error: `cannot read ${shownAs} (${(e as NodeJS.ErrnoException).code ?? 'error'})`, refused: true };
  } finally {
    closeSync(fd);
  }
};

const real = (p: string): string | undefined => {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
};

/** A loader for files on disk that follows the import rules above; `defaultLoader` is one with no search path. */
export const fileLoader = (opts: LoaderOptions = {}): Loader => {
  const maxBytes = opts.maxSourceBytes ?? MAX_SOURCE_BYTES;
  const roots = (opts.searchPath ?? []).filter((d) => d.length > 0).map((d) => resolve(d));
  return {
    stdlib,
    stdlibNames,
    file: (path, from) => {
      if (!path.endsWith('.dlm')) return { error: `only .dlm files can be imported, not "${path}"`, refused: true };
      if (isAbsolute(path))
        return {
          error: 'an import path must be relative (to the importing file, or to a directory of the search path given by --import-path or DLM_PATH)',
          refused: true,
        };
      const fromFile = !from.startsWith('stdlib:') && !from.startsWith('<');
      // Candidates in order: the importing file's directory tree, then each search-path directory.
      const candidates: { root: string; full: string }[] = [];
      if (fromFile) candidates.push({ root: dirname(resolve(from)), full: resolve(dirname(resolve(from)), path) });
      for (const root of roots) candidates.push({ root, full: resolve(root, path) });
      const allowed = candidates.filter((c) => isInside(c.root, c.full));
      if (allowed.length === 0) {
        return {
          error:
            candidates.length === 0
              ? 'this source has no directory of its own (it was compiled from a string); imports need a search path (--import-path, DLM_PATH, or a Loader)'
              : `"${path}" leads outside the importing file's directory${roots.length ? ' and outside the search path' : ''}` +
                `; add its directory to the search path (--import-path or DLM_PATH)`,
          refused: true,
        };
      }
      for (const c of allowed) {
        const r = real(c.full);
        if (r === undefined) continue;
        const rootReal = real(c.root) ?? c.root;
        if (!isInside(rootReal, r)) return { error: `${c.full} is a link to a file outside ${c.root}`, refused: true };
        if (!r.endsWith('.dlm')) return { error: `${c.full} is a link to a file that is not a .dlm file`, refused: true };
        const src = readSourceFile(r, maxBytes, c.full);
        return 'error' in src ? src : { path: c.full, text: src.text };
      }
      return { error: `file not found: ${allowed.map((c) => c.full).join(', or ')}` };
    },
  };
};

export const defaultLoader: Loader = fileLoader();

/** Finds the text of a source named in a span, for rendering diagnostics: only sources the compiler accepted. */
export const sourceLookup = (path: string): SourceFile | undefined => {
  if (path.startsWith('stdlib:')) return stdlib(path.slice(7).replace(/\.dlm$/, ''));
  return registered.get(path);
};

const registered = new Map<string, SourceFile>();
/** Sources that were read and accepted (or compiled from strings) are registered so their diagnostics can be rendered later. */
export const registerSource = (src: SourceFile): void => {
  registered.set(src.path, src);
};
