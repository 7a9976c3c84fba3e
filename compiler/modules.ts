// Resolves `import nn` to stdlib/nn.dlm and `import "./x.dlm" as x` to a user file, and reads them.
// The standard library is embedded in every bundle (stdlibText.ts); user files are read with fs.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { SourceFile } from './diagnostics/span.js';
import { stdlibModuleNames, stdlibText } from './stdlibText.js';

export interface Loader {
  /** The stdlib module's source, or undefined if there is no such module. */
  stdlib(name: string): SourceFile | undefined;
  /** A user file relative to the importing file; undefined (plus a reason) if unreadable. */
  file(path: string, from: string): SourceFile | { readonly error: string };
  /** The names of the standard modules (for suggestions); optional for custom loaders. */
  stdlibNames?(): readonly string[];
}

const stdlibCache = new Map<string, SourceFile | undefined>();

export { stdlibPath } from './stdlibText.js';

export const defaultLoader: Loader = {
  stdlib: (name) => {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) return undefined;
    if (!stdlibCache.has(name)) {
      const text = stdlibText(name);
      stdlibCache.set(name, text === undefined ? undefined : { path: `stdlib:${name}.dlm`, text });
    }
    return stdlibCache.get(name);
  },
  stdlibNames: stdlibModuleNames,
  file: (path, from) => {
    const base = from.startsWith('stdlib:') || from.startsWith('<') ? (typeof process === 'undefined' ? '/' : process.cwd()) : dirname(from);
    const full = resolve(base, path);
    try {
      return { path: full, text: readFileSync(full, 'utf8') };
    } catch (e) {
      return { error: (e as NodeJS.ErrnoException).code === 'ENOENT' ? `file not found: ${full}` : `cannot read ${full}` };
    }
  },
};

const fileCache = new Map<string, SourceFile | undefined>();

/** Finds the text of a file named in a span, for rendering diagnostics. */
export const sourceLookup = (path: string): SourceFile | undefined => {
  if (path.startsWith('stdlib:')) return defaultLoader.stdlib(path.slice(7).replace(/\.dlm$/, ''));
  if (registered.has(path)) return registered.get(path);
  if (!fileCache.has(path)) {
    try { fileCache.set(path, { path, text: readFileSync(path, 'utf8') }); } catch { fileCache.set(path, undefined); }
  }
  return fileCache.get(path);
};

const registered = new Map<string, SourceFile>();
/** Sources compiled from strings are registered so their diagnostics can be rendered later. */
export const registerSource = (src: SourceFile): void => { registered.set(src.path, src); };
