// The standard library's source texts. Run from source (tests, tsc), this reads stdlib/*.dlm beside the
// compiler; every bundle in dist/ replaces this module with the texts themselves (scripts/bundle.mjs),
// so the built compiler never looks the stdlib up on disk, in Node or in a browser.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const STDLIB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'stdlib');

/** The text of stdlib module `name` (a validated identifier), or undefined if there is none. */
export const stdlibText = (name: string): string | undefined => {
  try {
    return readFileSync(resolve(STDLIB_DIR, `${name}.dlm`), 'utf8');
  } catch {
    return undefined;
  }
};

/** Where a standard module's file is on disk, for editors that open it (go to definition). */
export const stdlibPath = (name: string): string => resolve(STDLIB_DIR, `${name}.dlm`);

/** The names of the standard modules, sorted. */
export const stdlibModuleNames = (): readonly string[] =>
  readdirSync(STDLIB_DIR)
    .filter((f) => f.endsWith('.dlm'))
    .map((f) => f.slice(0, -4))
    .sort();
